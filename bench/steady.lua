-- wrk script: signed demo impressions (GET /i) made on the fly, every one a new event (fresh nonce,
-- ts = now), at a steady total rate. No URL file, so any duration works.
--   wrk -t T -c C -d 300s -s bench/steady.lua http://127.0.0.1:8080 -- RATE T [BANNERS] [PUBLISHERS]
-- RATE is requests per second over all threads (0: as fast as the connections go). Each thread keeps
-- its own schedule (one slot every T/RATE s) and delay() holds a connection until its slot, so the
-- rate does not depend on the latency as long as enough connections are free: use at least
-- RATE x expected latency connections (wrk cannot send more than C requests at once). Latency is
-- measured by wrk from the actual send, not from the slot (no coordinated-omission correction).
-- Banner b of a request = 1 + i % BANNERS, publisher 1 + (i / BANNERS) % PUBLISHERS (demo catalog:
-- banner b belongs to campaign ((b-1) % 10) + 1, secret demo-secret-c). Needs wrk built with LuaJIT
-- and libcrypto (Debian's wrk): HMAC-SHA256 is OpenSSL's, called through the FFI.
local ffi = require("ffi")
local bit = require("bit")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
const void *EVP_sha256(void);
unsigned char *HMAC(const void *evp_md, const void *key, int key_len, const unsigned char *d, size_t n,
                    unsigned char *md, unsigned int *md_len);
]]

local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local ts_buf = ffi.new("bench_timespec")
local function now_ms(clock)
  ffi.C.clock_gettime(clock, ts_buf)
  return tonumber(ts_buf.tv_sec) * 1000 + tonumber(ts_buf.tv_nsec) / 1e6
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local b64 = {}
for i = 1, 64 do b64[i - 1] = alphabet:sub(i, i) end
local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")
local out = {}

-- base64url without padding of the 32 bytes in md: 43 characters
local function sig_of(key, msg)
  ffi.C.HMAC(ffi.C.EVP_sha256(), key, #key, msg, #msg, md, md_len)
  local n = 0
  for i = 0, 29, 3 do
    local v = md[i] * 65536 + md[i + 1] * 256 + md[i + 2]
    out[n + 1] = b64[bit.band(bit.rshift(v, 18), 63)]
    out[n + 2] = b64[bit.band(bit.rshift(v, 12), 63)]
    out[n + 3] = b64[bit.band(bit.rshift(v, 6), 63)]
    out[n + 4] = b64[bit.band(v, 63)]
    n = n + 4
  end
  local v = md[30] * 256 + md[31]           -- 2 bytes left: 3 characters
  out[n + 1] = b64[bit.band(bit.rshift(v, 10), 63)]
  out[n + 2] = b64[bit.band(bit.rshift(v, 4), 63)]
  out[n + 3] = b64[bit.band(bit.lshift(v, 2), 63)]
  for i = n + 4, #out do out[i] = nil end
  return table.concat(out)
end

function init(args)
  local rate = tonumber(args[1] or "0")
  local nthreads = tonumber(args[2] or "1")
  banners = tonumber(args[3] or "1000")
  publishers = tonumber(args[4] or "100")
  interval = rate > 0 and nthreads * 1000 / rate or 0   -- ms between this thread's slots
  secrets = {}
  for c = 1, 10 do secrets[c] = "demo-secret-" .. c end
  run = string.format("%x%x", math.floor(now_ms(0)) % 0x7fffffff, id)
  index = id                                             -- threads interleave: i = id, id + T, ...
  step = nthreads
  next_slot = nil
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms(1)
  if next_slot == nil or next_slot < now - 1000 then next_slot = now end  -- never burst to catch up more than 1 s
  next_slot = next_slot + interval
  local d = next_slot - now
  return d > 0 and math.floor(d) or 0
end

function request()
  local i = index
  index = index + step
  local b = 1 + i % banners
  local p = 1 + math.floor(i / banners) % publishers
  local ts = string.format("%d", math.floor(now_ms(0)))
  local nonce = run .. "-" .. i
  -- contract v2: the signed string is the path, '?', then the parameters sorted by name: exactly the request path
  local canonical = "/i?b=" .. b .. "&n=" .. nonce .. "&p=" .. p .. "&ts=" .. ts
  return wrk.format("GET", canonical .. "&sig=" .. sig_of(secrets[(b - 1) % 10 + 1], canonical))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d seconds=%.3f p50=%.3f p99=%.3f p999=%.3f max=%.3f\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
end
