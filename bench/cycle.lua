-- wrk script: each thread walks its own share of a file of request paths (distinct signed
-- beacons), so no beacon is sent twice unless the run outlasts the file.
-- usage: wrk -t THREADS -s bench/cycle.lua URL -- PATHS_FILE THREADS
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(args[2] or "1")
  paths = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then paths[#paths + 1] = line end
    i = i + 1
  end
  index = 0
end

function request()
  index = index + 1
  if index > #paths then index = 1 end
  return wrk.format("GET", paths[index])
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d errors(connect,read,write,status,timeout)=%d,%d,%d,%d,%d p50=%.2fms p99=%.2fms p999=%.2fms\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
