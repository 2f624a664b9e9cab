import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The budget stop signal (issue 21): how long after the event that crosses a campaign's budget an SSE
 * subscriber hears "exhausted", and whether billing overshoots. JDK only, single-file program:
 * <pre>
 *   java bench/PacingSignal.java [--gateway http://127.0.0.1:8080] [--reporting http://127.0.0.1:8081]
 *        [--token var/admin.token] [--campaign 1] [--rate 4000] [--per-request 100] [--trials 30] [--cross 2000]
 * </pre>
 * Campaign {@code --campaign} of the demo catalog must be priced CPM (campaign 1: 2.50, 2,500 micros an
 * impression). Each trial sets the campaign's total budget to what it spent so far plus {@code --cross}
 * impressions, waits for the stream to say "pacing", then sends signed impressions of that campaign in
 * {@code POST /events} bodies of {@code --per-request} lines at {@code --rate} events/s, one body after the
 * other, until the stream says "exhausted" (and 20% more). The delay of a trial is from the answer of
 * the body holding the crossing impression (the {@code --cross}-th) to the event's arrival; it can be
 * negative when the monitor saw the impression before the gateway's answer came back. After each
 * trial the pacing endpoint must show billed = budget exactly and over_budget = impressions sent
 * past the crossing, and once more after an admin flush at
 * the end (then PostgreSQL holds it all). The last line is machine-readable (key=value).
 */
public class PacingSignal {

    private static final Pattern STATE = Pattern.compile("\"campaign\":(\\d+),\"state\":\"([a-z_]+)\"");

    record Seen(long nanos, String state) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String gateway = opt.getOrDefault("gateway", "http://127.0.0.1:8080");
        String reporting = opt.getOrDefault("reporting", "http://127.0.0.1:8081");
        String token = Files.readString(Path.of(opt.getOrDefault("token", "var/admin.token"))).trim();
        long campaign = Long.parseLong(opt.getOrDefault("campaign", "1"));
        int rate = Integer.parseInt(opt.getOrDefault("rate", "4000"));
        int perRequest = Integer.parseInt(opt.getOrDefault("per-request", "100"));
        int trials = Integer.parseInt(opt.getOrDefault("trials", "30"));
        long cross = Long.parseLong(opt.getOrDefault("cross", "2000"));
        long unitMicros = 2_500; // CPM 2.50 of the demo's campaign 1

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        Thread listener = new Thread(() -> listen(http, reporting, campaign, seen), "sse");
        listener.setDaemon(true);
        listener.start();

        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(("demo-secret-" + campaign).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        List<Double> delays = new ArrayList<>();
        long sentAll = 0;
        long sendingNanos = 0;
        long overshoot = 0;
        long overBudgetMismatch = 0;
        long serial = 0;
        String run = Long.toString(System.nanoTime(), 36);
        for (int t = 0; t < trials; t++) {
            // a budget has no history: raised, it bills the earlier trials' over-budget impressions too, so it is set
            // from everything spent so far, and the crossing is exactly the cross-th impression of this trial
            long spent = micros(get(http, reporting + "/api/v1/campaigns/" + campaign + "/pacing"), "spend");
            long budget = spent + cross * unitMicros;
            seen.clear();
            String put = send(http, HttpRequest.newBuilder(URI.create(reporting + "/api/v1/admin/catalog/campaigns/" + campaign + "/budget"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"total_micros\":" + budget + ",\"time_zone\":\"UTC\"}")).build());
            if (!put.contains("\"total_micros\":" + budget)) {
                throw new IllegalStateException("budget not set: " + put);
            }
            if (t > 0) {
                await(seen, "pacing", 30);
            }
            seen.clear();
            long sent = 0;
            long crossAck = -1;
            long exhaustedAt = -1;
            long stopAfter = Long.MAX_VALUE;
            long start = System.nanoTime();
            while (sent < stopAfter) {
                StringBuilder body = new StringBuilder();
                long ts = System.currentTimeMillis();
                for (int i = 0; i < perRequest; i++) {
                    long k = serial++;
                    long b = campaign + 10 * (k % 100);
                    long p = 1 + (k / 100) % 100;
                    String n = run + "x" + Long.toString(k, 36);
                    String sig = b64.encodeToString(mac.doFinal(("/i?b=" + b + "&n=" + n + "&p=" + p + "&ts=" + ts).getBytes(StandardCharsets.UTF_8)));
                    body.append("{\"type\":\"i\",\"b\":").append(b).append(",\"p\":").append(p).append(",\"ts\":").append(ts)
                            .append(",\"n\":\"").append(n).append("\",\"sig\":\"").append(sig).append("\"}\n");
                }
                String answer = send(http, HttpRequest.newBuilder(URI.create(gateway + "/events"))
                        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
                long acked = System.nanoTime();
                if (!answer.contains("\"accepted\":" + perRequest)) {
                    throw new IllegalStateException("not all accepted: " + answer);
                }
                sent += perRequest;
                if (crossAck < 0 && sent >= cross) {
                    crossAck = acked;
                }
                Seen s;
                while ((s = seen.poll()) != null) {
                    if (s.state().equals("exhausted") && exhaustedAt < 0) {
                        exhaustedAt = s.nanos();
                        stopAfter = Math.max(sent, cross + cross / 5);
                    }
                }
                long due = start + (long) (sent * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (crossAck > 0 && exhaustedAt < 0 && System.nanoTime() - crossAck > TimeUnit.SECONDS.toNanos(30)) {
                    throw new IllegalStateException("no exhausted event within 30 s of the crossing");
                }
            }
            sentAll += sent;
            sendingNanos += System.nanoTime() - start;
            double delayMs = (exhaustedAt - crossAck) / 1e6;
            delays.add(delayMs);
            String pacing = get(http, reporting + "/api/v1/campaigns/" + campaign + "/pacing");
            long billedAfter = micros(pacing, "billed");
            long over = number(pacing, "over_budget");
            overshoot = Math.max(overshoot, billedAfter - budget);
            if (over != sent - cross) {
                overBudgetMismatch++;
            }
            System.err.printf("trial %d: budget %d micros, sent %d, signal %.1f ms after the crossing body's answer, billed %d (%+d), over_budget +%d%n",
                    t + 1, budget, sent, delayMs, billedAfter, billedAfter - budget, over);
        }
        send(http, HttpRequest.newBuilder(URI.create(reporting + "/api/v1/admin/flush")).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        String flushed = get(http, reporting + "/api/v1/campaigns/" + campaign + "/pacing");
        long flushedOvershoot = micros(flushed, "billed") - micros(flushed, "total_budget");
        overshoot = Math.max(overshoot, flushedOvershoot);
        System.err.printf("after the flush: billed %d micros, total budget %d (%+d), over_budget %d%n",
                micros(flushed, "billed"), micros(flushed, "total_budget"), flushedOvershoot, number(flushed, "over_budget"));
        Collections.sort(delays);
        double p50 = delays.get((int) Math.floor(0.50 * (delays.size() - 1)));
        double p99 = delays.get((int) Math.ceil(0.99 * (delays.size() - 1)));
        System.out.printf("trials=%d rate=%d achieved_rate=%.0f per_request=%d cross=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f min_ms=%.1f overshoot_micros=%d over_budget_mismatches=%d%n",
                trials, rate, sentAll / (sendingNanos / 1e9), perRequest, cross, p50, p99, delays.get(delays.size() - 1), delays.get(0), overshoot, overBudgetMismatch);
    }

    /** Reads the stream; every event of the campaign goes on the queue with its arrival time. */
    private static void listen(HttpClient http, String reporting, long campaign, BlockingQueue<Seen> seen) {
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(reporting + "/api/v1/pacing/stream"))
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("data:")) {
                    Matcher m = STATE.matcher(line);
                    if (m.find() && Long.parseLong(m.group(1)) == campaign) {
                        seen.add(new Seen(System.nanoTime(), m.group(2)));
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("stream ended: " + e);
        }
    }

    private static void await(BlockingQueue<Seen> seen, String state, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            Seen s = seen.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && s.state().equals(state)) {
                return;
            }
        }
        throw new IllegalStateException("the stream never said " + state);
    }

    private static String get(HttpClient http, String url) throws Exception {
        return send(http, HttpRequest.newBuilder(URI.create(url)).build());
    }

    private static String send(HttpClient http, HttpRequest r) throws Exception {
        HttpResponse<String> a = http.send(r, HttpResponse.BodyHandlers.ofString());
        if (a.statusCode() / 100 != 2) {
            throw new IllegalStateException(r.uri() + " answered " + a.statusCode() + ": " + a.body());
        }
        return a.body();
    }

    /** A decimal amount field ("billed":"1.25") in micros; 0 when absent. */
    private static long micros(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":\"([0-9.]+)\"").matcher(json);
        return m.find() ? new java.math.BigDecimal(m.group(1)).movePointRight(6).longValueExact() : 0;
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
