package io.adgrid.gateway.server;

import static io.adgrid.gateway.server.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import io.adgrid.event.EventType;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random mutations of valid beacons against the real gateway (Netty, validator, GridBatcher, one
 * Hazelcast member) for a set time: byte flips, dropped, repeated and swapped parameters,
 * truncation, random percent-escapes, junk, random methods, paths, headers and bodies. It fails on
 * any 5xx, a whole request left without an answer, a stack trace in a body, a redirect anywhere but a registered landing URL, an
 * unhealthy gateway, or grid totals that differ from what the gateway says it accepted.
 *
 * <p>Runs 20 seconds in the default build; {@code mvn -Pfuzz -Dfuzz.minutes=3 verify} runs it
 * alone for three minutes. {@code -Dfuzz.seed=N} replays a run.
 */
class GatewayFuzzIT {

    private static final int PORT_BASE = TestPorts.of(6110);
    private static final List<String> LANDINGS = List.of("https://example.com/landing/7", "https://shop.example.org/p?id=8&utm_source=adgrid");
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "FOO", "get", "G ET", ""};
    private static final String[] PATHS = {"/i", "/c", "/s", "/events", "/healthz", "/", "/x", "/i/", "//c", "/%69", "*", "/s?", "/events?x=1"};
    private static final String[] JUNK = {"%", "%zz", "%00", "%0d%0a", "\r\n", "\n", "\u0000", "&", "=", "&&", "?", "#", " ", "+", ";", "%FF", "%C3%28",
        "%E2%82", "'", "\"", "<", "\\", "/", "\u00ff", "\u00e9", "..", "NaN", "-1", "1e309", "99999999999999999999", "https://evil.com", "//evil.com"};

    private static LiveGateway gateway;
    /** Source of valid beacons: a new nonce and order id each time, {@code ts} a few seconds before the run. */
    private static HostileCases beacons;

    @BeforeAll
    static void start() {
        gateway = new LiveGateway(GatewayFuzzIT.class, PORT_BASE, GatewayServer.Limits.defaults());
        beacons = new HostileCases(System.currentTimeMillis());
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    /**
     * A mutation: from a fresh valid request (and the random source) to the bytes to send.
     * {@code incomplete}: the bytes are never a whole request, so the client closes its side at once.
     */
    private record Mutator(String name, Function<Random, byte[]> make, boolean incomplete) {
        Mutator(String name, Function<Random, byte[]> make) {
            this(name, make, false);
        }
    }

    @Test
    void randomMutationsOfValidBeaconsNeverGetAFiveHundredOrHurtTheGateway() throws Exception {
        double minutes = Double.parseDouble(System.getProperty("fuzz.minutes", "0").isBlank() ? "0" : System.getProperty("fuzz.minutes", "0"));
        // ts of the beacons is fixed at the start and must stay inside the 15-minute window
        Duration duration = minutes > 0 ? Duration.ofMillis((long) (Math.min(minutes, 14) * 60_000)) : Duration.ofSeconds(20);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        List<Mutator> mutators = mutators();
        Map<Integer, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> byMutator = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        Counts before = gateway.totals();
        long acceptedBefore = gateway.events("accepted");
        long requests = 0;
        long deadline = System.nanoTime() + duration.toNanos();
        System.out.printf("fuzz: %s, seed %d%n", duration, seed);

        while (System.nanoTime() < deadline && failures.size() < 50) {
            Mutator m = mutators.get(random.nextInt(mutators.size()));
            byte[] request = m.make().apply(random);
            Result r = send(request, m.incomplete());
            requests++;
            byStatus.merge(r.status(), 1, Integer::sum);
            byMutator.merge(m.name(), 1, Integer::sum);
            String what = m.name() + " " + HostileCases.shorten(new String(request, 0, Math.min(request.length, 300), StandardCharsets.ISO_8859_1)) + ": ";
            if (r.status() == RawHttp.NO_ANSWER && !m.incomplete() && looksComplete(request)) {
                // HTTP allows an answer to any whole request, even a malformed one
                failures.add("no answer to a whole request: " + HostileCases.escaped(new String(request, StandardCharsets.ISO_8859_1), 600));
            }
            if (r.status() >= 500) {
                failures.add(what + "status " + r.status() + " " + HostileCases.shorten(r.body()));
            }
            if (r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains(".java:")) {
                failures.add(what + "stack trace in the body");
            }
            if (r.status() == 302 && (r.location() == null || !LANDINGS.stream().anyMatch(l -> r.location().matches(
                    java.util.regex.Pattern.quote(l) + "[?&]agclid=[A-Za-z0-9_-]+")))) {
                failures.add(what + "redirect to " + r.location());
            }
            if (requests % 1000 == 0 && send(ascii("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"), false).status() != 200) {
                failures.add("gateway unhealthy after " + requests + " requests");
            }
        }

        System.out.printf("fuzz: %d requests in %s (seed %d), by status %s (-1: no answer, the request was incomplete)%n",
                requests, duration, seed, byStatus);
        System.out.println("fuzz: by mutation " + byMutator);
        System.out.println("fuzz: counted by outcome/reason " + gateway.reasons());
        assertThat(failures).as("fuzz failures (seed %d)", seed).isEmpty();
        assertThat(send(ascii("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"), false).status()).isEqualTo(200);
        // what the grid holds moved by exactly what the gateway said it accepted
        Counts after = gateway.totals();
        long counted = after.impressions + after.clicks + after.conversions - before.impressions - before.clicks - before.conversions;
        assertThat(counted).isEqualTo(gateway.events("accepted") - acceptedBefore);
        assertThat(gateway.reasons().keySet()).allSatisfy(key -> assertThat(key.split("/")[1]).isIn(HostileInputIT.KNOWN_REASONS));
        // and a valid beacon is still counted
        HostileCases fresh = new HostileCases(System.currentTimeMillis());
        String query = HostileCases.query(HostileCases.pairs(fresh.validParams(EventType.IMPRESSION, 7, 3)), false);
        assertThat(send(ascii("GET /i?" + query + " HTTP/1.1\r\nHost: gw\r\n\r\n"), false).status()).isEqualTo(200);
        assertThat(gateway.totals().impressions).isEqualTo(after.impressions + 1);
    }

    // ---- mutations ---------------------------------------------------------------------------------

    private List<Mutator> mutators() {
        List<Mutator> m = new ArrayList<>();
        m.add(new Mutator("byte flips", r -> {
            byte[] b = validRequest(r);
            for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            return b;
        }));
        m.add(new Mutator("drop parameter", r -> withPairs(r, pairs -> pairs.remove(r.nextInt(pairs.size())))));
        m.add(new Mutator("repeat parameter", r -> withPairs(r, pairs -> {
            String[] p = pairs.get(r.nextInt(pairs.size()));
            pairs.add(r.nextInt(pairs.size() + 1), new String[] {p[0], r.nextBoolean() ? p[1] : junk(r)});
        })));
        m.add(new Mutator("swap values", r -> withPairs(r, pairs -> {
            String[] a = pairs.get(r.nextInt(pairs.size()));
            String[] b = pairs.get(r.nextInt(pairs.size()));
            String t = a[1];
            a[1] = b[1];
            b[1] = t;
        })));
        m.add(new Mutator("junk in a value", r -> withPairs(r, pairs -> {
            String[] p = pairs.get(r.nextInt(pairs.size()));
            int at = r.nextInt(p[1].length() + 1);
            p[1] = p[1].substring(0, at) + junk(r) + p[1].substring(at);
        })));
        m.add(new Mutator("extra parameter", r -> withPairs(r, pairs -> pairs.add(new String[] {
            r.nextBoolean() ? junk(r) : List.of("u", "url", "redirect", "next", "type", "kid", "x").get(r.nextInt(7)), junk(r)}))));
        m.add(new Mutator("raw percent-escapes", r -> {
            Kind k = Kind.random(r);
            StringBuilder q = new StringBuilder(k.params());
            for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                int at = r.nextInt(q.length());
                q.replace(at, at + 1, "%" + hex(r) + hex(r));
            }
            return k.request(q.toString());
        }));
        m.add(new Mutator("truncated parameters", r -> {
            Kind k = Kind.random(r);
            String q = k.params();
            return k.request(q.substring(0, r.nextInt(q.length())));
        }));
        m.add(new Mutator("truncated request", r -> {
            byte[] b = validRequest(r);
            byte[] cut = new byte[1 + r.nextInt(b.length - 1)];
            System.arraycopy(b, 0, cut, 0, cut.length);
            return cut;
        }, true));
        m.add(new Mutator("random method and path", r -> {
            String body = r.nextBoolean() ? "" : junk(r) + junk(r);
            return ascii(METHODS[r.nextInt(METHODS.length)] + " " + PATHS[r.nextInt(PATHS.length)] + (r.nextBoolean() ? "" : junk(r))
                    + " HTTP/1.1\r\nHost: gw\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        }));
        m.add(new Mutator("random body", r -> {
            byte[] body = new byte[r.nextInt(r.nextBoolean() ? 64 : 20_000)];
            r.nextBytes(body);
            String type = List.of("application/json", "application/x-www-form-urlencoded", "application/x-ndjson", "text/plain", "")
                    .get(r.nextInt(5));
            return HostileCases.post(r.nextBoolean() ? "/s" : "/events", type.isEmpty() ? null : type, body);
        }));
        m.add(new Mutator("junk headers", r -> {
            Kind k = Kind.random(r);
            String header = List.of("X-J: " + junk(r), "Content-Length: " + junk(r), "Transfer-Encoding: " + junk(r), "Host: " + junk(r),
                    "Expect: 100-continue", "Connection: " + junk(r), junk(r) + ": x", "X-Big: " + "h".repeat(r.nextInt(12_000))).get(r.nextInt(8));
            String req = new String(k.request(k.params()), StandardCharsets.ISO_8859_1);
            int eol = req.indexOf("\r\n");
            return ascii(req.substring(0, eol + 2) + header + "\r\n" + req.substring(eol + 2));
        }));
        return m;
    }

    /** The request kinds mutated: their parameters as a query or body, and how they are sent. */
    private enum Kind {
        IMPRESSION, CLICK, SALE_FORM, SALE_JSON, EVENTS;

        static Kind random(Random r) {
            return values()[r.nextInt(values().length)];
        }

        private List<String[]> pairs() {
            EventType type = this == IMPRESSION ? EventType.IMPRESSION : this == CLICK || this == EVENTS ? EventType.CLICK : EventType.SALE;
            return HostileCases.pairs(beacons.validParams(type, 7, 3));
        }

        String params() {
            return params(pairs());
        }

        String params(List<String[]> pairs) {
            return this == SALE_JSON ? HostileCases.json(null, pairs) : this == EVENTS ? HostileCases.json("c", pairs) : HostileCases.query(pairs, false);
        }

        byte[] request(String params) {
            return switch (this) {
                case IMPRESSION -> ascii("GET /i?" + params + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                case CLICK -> ascii("GET /c?" + params + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                case SALE_FORM -> HostileCases.post("/s", "application/x-www-form-urlencoded", params.getBytes(StandardCharsets.UTF_8));
                case SALE_JSON -> HostileCases.post("/s", "application/json", params.getBytes(StandardCharsets.UTF_8));
                case EVENTS -> HostileCases.post("/events", "application/x-ndjson", params.getBytes(StandardCharsets.UTF_8));
            };
        }
    }

    private static byte[] validRequest(Random r) {
        Kind k = Kind.random(r);
        return k.request(k.params());
    }

    private static byte[] withPairs(Random r, java.util.function.Consumer<List<String[]>> change) {
        Kind k = Kind.random(r);
        List<String[]> pairs = k.pairs();
        change.accept(pairs);
        return k.request(k.params(pairs));
    }

    private static String junk(Random r) {
        return JUNK[r.nextInt(JUNK.length)];
    }

    private static char hex(Random r) {
        return "0123456789ABCDEFabcdefGz%".charAt(r.nextInt(25));
    }

    // ---- one request per connection ----------------------------------------------------------------

    private record Result(int status, String body, String location) {
    }

    /**
     * Sends on a new connection and reads one answer. A mutation can leave a request incomplete (a
     * cut line, a larger Content-Length than sent): when nothing comes back within a second, the
     * client closes its side, and an answer or the end of the stream follows.
     */
    private Result send(byte[] request, boolean incomplete) throws IOException {
        boolean head = request.length > 5 && new String(request, 0, 5, StandardCharsets.ISO_8859_1).equals("HEAD ");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5_000);
            s.setSoTimeout(1_000);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (IOException e) {
                // refused while sending: what was answered is still readable
            }
            if (incomplete) {
                s.shutdownOutput();
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            boolean halfClosed = incomplete;
            long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < giveUp) {
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    if (complete(got.toByteArray(), head)) {
                        break;
                    }
                    if (!halfClosed) {
                        s.shutdownOutput();
                        halfClosed = true;
                    }
                    continue;
                } catch (IOException e) {
                    break;
                }
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
                if (complete(got.toByteArray(), head)) {
                    break;
                }
            }
            return parse(got.toByteArray());
        }
    }

    /** A header end, and as many body bytes as a Content-Length says (not chunked). */
    private static boolean looksComplete(byte[] request) {
        String text = new String(request, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        if (head.contains("transfer-encoding")) {
            return false;
        }
        java.util.regex.Matcher cl = java.util.regex.Pattern.compile("\r\ncontent-length: *([0-9]{1,9})\r?$", java.util.regex.Pattern.MULTILINE).matcher(head + "\r\n");
        if (cl.find()) {
            return text.length() - end - 4 >= Integer.parseInt(cl.group(1));
        }
        return !head.contains("content-length");
    }

    /** A whole first answer: headers and Content-Length bytes of body (none after a HEAD). */
    private static boolean complete(byte[] bytes, boolean head) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        if (text.startsWith("HTTP/1.1 1")) {
            return complete(text.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1), head);
        }
        String lower = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        int cl = lower.indexOf("content-length:");
        int length = cl < 0 ? 0 : Integer.parseInt(lower.substring(cl + 15, lower.indexOf("\r\n", cl) < 0 ? end : lower.indexOf("\r\n", cl)).trim());
        return head || text.length() - end - 4 >= length;
    }

    private static Result parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        while (text.startsWith("HTTP/1.1 1") && text.contains("\r\n\r\n")) {
            text = text.substring(text.indexOf("\r\n\r\n") + 4);
        }
        if (!text.startsWith("HTTP/1.1 ")) {
            return new Result(RawHttp.NO_ANSWER, text, null);
        }
        int status = Integer.parseInt(text.substring(9, 12));
        int end = text.indexOf("\r\n\r\n");
        String head = end < 0 ? text : text.substring(0, end);
        String location = null;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("location:")) {
                location = line.substring(9).trim();
            }
        }
        return new Result(status, end < 0 ? "" : text.substring(end + 4), location);
    }
}
