import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Batch ingest load: POST /events NDJSON bodies of signed demo impressions over keep-alive
 * connections, and what came back. JDK only, run as a single-file program:
 * <pre>
 *   java -Xmx2g bench/NdjsonLoad.java [--url http://127.0.0.1:8080] [--seconds 10] [--connections 4]
 *        [--per-request 5000] [--events 4000000] [--banners 1000] [--publishers 100] [--pid PID]
 *        [--mode line|request] [--sender-kid KID --sender-secret-file FILE]
 * </pre>
 * {@code --mode line} (the default) signs every line on its own ({@code sig}, contract v2). {@code --mode request}
 * (issue 23) leaves the lines without {@code sig} and signs each request whole with the sender key
 * {@code --sender-kid} (secret read from {@code --sender-secret-file}, so it is not on a command line): the
 * {@code X-AdGrid-Signature} header is made just before each request is sent, with ts = now.
 * First it signs {@code --events} distinct impressions (fresh nonces, ts = now; banner b = 1 + i % banners,
 * publisher 1 + (i / banners) % publishers, campaign ((b-1) % 10) + 1 with secret demo-secret-c) into
 * bodies of {@code --per-request} lines, all in memory (about 110 bytes an event: size -Xmx). Then
 * {@code --connections} threads each POST bodies one after the other until the bodies or the seconds run
 * out; no body is sent twice, so every accepted line is a new event. Each answer's accepted, duplicates
 * and rejected counts are checked against the lines sent. With {@code --pid} (the AdGrid JVM on this
 * box) it reads that process's CPU time from /proc/PID/stat just before and after the sending phase and
 * prints events per CPU-second of AdGrid (events/s per core). The last line is machine-readable
 * ({@code key=value}), the rest a table.
 */
public class NdjsonLoad {

    private static final Pattern COUNT = Pattern.compile("\"(accepted|duplicates|rejected)\":(\\d+)");

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        String url = opt.getOrDefault("url", "http://127.0.0.1:8080") + "/events";
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        int connections = Integer.parseInt(opt.getOrDefault("connections", "4"));
        int perRequest = Integer.parseInt(opt.getOrDefault("per-request", "5000"));
        long events = Long.parseLong(opt.getOrDefault("events", "4000000"));
        int banners = Integer.parseInt(opt.getOrDefault("banners", "1000"));
        int publishers = Integer.parseInt(opt.getOrDefault("publishers", "100"));
        String pid = opt.get("pid");
        boolean requestSigned = "request".equals(opt.getOrDefault("mode", "line"));
        String senderKid = opt.get("sender-kid");
        SecretKeySpec senderKey = requestSigned
                ? new SecretKeySpec(Files.readString(Path.of(opt.get("sender-secret-file"))).strip().getBytes(StandardCharsets.UTF_8), "HmacSHA256")
                : null;

        int requests = (int) Math.max(1, events / perRequest);
        long t0 = System.nanoTime();
        byte[][] bodies = sign(requests, perRequest, banners, publishers, !requestSigned);
        System.err.printf("signed %,d events in %,d bodies of %,d lines (%,d MB) in %.1f s%n", (long) requests * perRequest,
                requests, perRequest, Arrays.stream(bodies).mapToLong(b -> b.length).sum() >> 20, (System.nanoTime() - t0) / 1e9);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        AtomicInteger next = new AtomicInteger();
        AtomicLong sent = new AtomicLong(), accepted = new AtomicLong(), duplicates = new AtomicLong(), rejected = new AtomicLong();
        AtomicLong failedRequests = new AtomicLong(), unexplained = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        int[] counts = new int[connections];

        double cpuBefore = pid == null ? 0 : cpuSeconds(pid);
        long start = System.nanoTime();
        long deadline = start + seconds * 1_000_000_000L;
        Thread[] threads = new Thread[connections];
        for (int t = 0; t < connections; t++) {
            long[] lat = new long[requests];
            latencies.add(lat);
            int me = t;
            threads[t] = new Thread(() -> {
                int n = 0;
                int i;
                while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < requests) {
                    HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/x-ndjson")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(bodies[i]));
                    if (requestSigned) {
                        rb.header("X-AdGrid-Signature", requestSignature(senderKey, senderKid, System.currentTimeMillis(), bodies[i]));
                    }
                    HttpRequest req = rb.build();
                    long s = System.nanoTime();
                    sent.addAndGet(perRequest);
                    try {
                        HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
                        lat[n++] = System.nanoTime() - s;
                        if (resp.statusCode() != 200) {
                            failedRequests.incrementAndGet();
                            System.err.println("HTTP " + resp.statusCode() + ": " + head(resp.body()));
                            continue;
                        }
                        Map<String, Long> c = new HashMap<>();
                        Matcher m = COUNT.matcher(resp.body());
                        while (m.find()) {
                            c.putIfAbsent(m.group(1), Long.parseLong(m.group(2)));
                        }
                        long a = c.getOrDefault("accepted", -1L), d = c.getOrDefault("duplicates", -1L), r = c.getOrDefault("rejected", -1L);
                        accepted.addAndGet(a - d);  // "accepted" includes duplicates; count new events only
                        duplicates.addAndGet(d);
                        rejected.addAndGet(r);
                        if (a < 0 || d != 0 || r != 0 || a + r != perRequest) {
                            unexplained.incrementAndGet();
                            System.err.println("unexpected answer: " + head(resp.body()));
                        }
                    } catch (IOException | InterruptedException e) {
                        lat[n++] = System.nanoTime() - s;
                        failedRequests.incrementAndGet();
                        System.err.println("request failed: " + e);
                    }
                }
                counts[me] = n;
            }, "post-" + t);
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpu = pid == null ? Double.NaN : cpuSeconds(pid) - cpuBefore;

        long[] all = IntStream.range(0, connections).mapToObj(t -> Arrays.copyOf(latencies.get(t), counts[t]))
                .flatMapToLong(Arrays::stream).sorted().toArray();
        long done = all.length;
        double eps = accepted.get() / elapsed;
        System.out.printf("%-34s %,15d%n", "events sent", sent.get());
        System.out.printf("%-34s %,15d%n", "events accepted (new)", accepted.get());
        System.out.printf("%-34s %,15d%n", "events duplicate / rejected", duplicates.get() + rejected.get());
        System.out.printf("%-34s %,15d%n", "requests answered / failed", done - failedRequests.get());
        System.out.printf("%-34s %15.2f%n", "seconds (sending)", elapsed);
        System.out.printf("%-34s %,15.0f%n", "events/s (accepted)", eps);
        System.out.printf("%-34s %,15.1f%n", "requests/s", done / elapsed);
        System.out.printf("%-34s %15.1f / %.1f / %.1f ms%n", "request latency p50 / p99 / max", pct(all, 50), pct(all, 99), pct(all, 100));
        if (pid != null) {
            System.out.printf("%-34s %15.2f (%.2f cores)%n", "AdGrid CPU seconds (pid " + pid + ")", cpu, cpu / elapsed);
            System.out.printf("%-34s %,15.0f%n", "events per AdGrid CPU-second", accepted.get() / cpu);
        }
        if (next.get() >= requests && System.nanoTime() < deadline) {
            System.out.println("(the pre-signed bodies ran out before --seconds: raise --events for a longer run)");
        }
        System.out.printf("sent=%d accepted=%d duplicates=%d rejected=%d failed_requests=%d unexpected_answers=%d requests=%d seconds=%.3f"
                        + " events_per_s=%.0f p50_ms=%.2f p99_ms=%.2f cpu_s=%.2f events_per_cpu_s=%.0f%n",
                sent.get(), accepted.get(), duplicates.get(), rejected.get(), failedRequests.get(), unexplained.get(), done, elapsed,
                eps, pct(all, 50), pct(all, 99), cpu, accepted.get() / cpu);
        System.exit(failedRequests.get() == 0 && unexplained.get() == 0 ? 0 : 1);
    }

    /** The whole-request signature (issue 23): HMAC-SHA256 over "AGS1\nPOST\n/events\n" + kid + "\n" + ts + "\n" + the body. */
    static String requestSignature(SecretKeySpec key, String kid, long ts, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(("AGS1\nPOST\n/events\n" + kid + "\n" + ts + "\n").getBytes(StandardCharsets.US_ASCII));
            return "kid=" + kid + ", ts=" + ts + ", sig=" + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bodies of distinct impressions, each line signed on its own when {@code lineSigs}, made in parallel. */
    static byte[][] sign(int requests, int perRequest, int banners, int publishers, boolean lineSigs) {
        long ts = System.currentTimeMillis();
        String run = Long.toString(ts, 36) + Long.toString(ProcessHandle.current().pid(), 36);
        byte[][] bodies = new byte[requests][];
        IntStream.range(0, requests).parallel().forEach(r -> {
            try {
                Mac[] macs = new Mac[10];
                for (int c = 1; c <= 10; c++) {
                    macs[c - 1] = Mac.getInstance("HmacSHA256");
                    macs[c - 1].init(new SecretKeySpec(("demo-secret-" + c).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                }
                Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
                StringBuilder sb = new StringBuilder(perRequest * 120);
                for (int k = 0; k < perRequest; k++) {
                    long i = (long) r * perRequest + k;
                    long b = 1 + i % banners;
                    long p = 1 + (i / banners) % publishers;
                    String nonce = run + "-" + i;
                    sb.append("{\"type\":\"i\",\"b\":").append(b).append(",\"p\":").append(p).append(",\"ts\":").append(ts)
                            .append(",\"n\":\"").append(nonce);
                    if (lineSigs) {
                        String canonical = "/i?b=" + b + "&n=" + nonce + "&p=" + p + "&ts=" + ts; // contract v2: type path first
                        String sig = b64.encodeToString(macs[(int) ((b - 1) % 10)].doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
                        sb.append("\",\"sig\":\"").append(sig);
                    }
                    sb.append("\"}\n");
                }
                bodies[r] = sb.toString().getBytes(StandardCharsets.US_ASCII);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return bodies;
    }

    static double cpuSeconds(String pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields 14 and 15 of stat (utime, stime) are 12 and 13 after "pid (comm) "; clock ticks of 1/100 s on Linux
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    static String head(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("options are --name value; got " + args[i]);
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }
}
