package io.adgrid.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.server.RawHttp.Answer;
import io.adgrid.grid.port.Counts;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hostile corpus of request-signed {@code POST /events} (issue 23), raw bytes through the real
 * gateway (Netty on a free port, the validator, the {@code GridBatcher}, a real Hazelcast member), as
 * {@link HostileInputIT} does for beacons: header injection, repeated and unknown parameters, huge
 * values, wrong encodings, a body swapped, cut or extended after signing, a signature moved to another
 * key, time or endpoint, a disabled or unknown key, replays, lines the key may not send. Each gets its
 * exact status and error code (never a 5xx), counts exactly its rejections under a known reason, and
 * moves the grid totals by exactly nothing; harmless variants (header name case, parameter order,
 * spaces, CRLF lines, a chunked body) are accepted and counted exactly once.
 */
class SignedEventsHostileIT {

    private static final int PORT_BASE = TestPorts.of(6440);
    private static final Set<String> KNOWN_REASONS = Set.of("ok", "bad_signature_header", "unknown_sender_key", "disabled_sender_key",
            "bad_request_signature", "request_ts_too_old", "request_ts_in_future", "replayed_request", "campaign_not_allowed",
            "sig_in_signed_request", "bad_type", "bad_http", "headers_too_large", "method_not_allowed", "bad_json", "unknown_banner", "too_many_lines",
            "body_too_large");
    private static final Pattern ERROR = Pattern.compile("\"error\":\"([^\"]*)\"");
    private static final Pattern ACCEPTED = Pattern.compile("\"accepted\":(\\d+)");
    private static final String VALID_SIG = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    private static LiveGateway gateway;

    /** One request: what it must be answered, how many rejections it counts, how many impressions it adds. */
    private record Case(String name, byte[] request, int status, String error, int rejections, int impressions) {
    }

    private final AtomicLong unique = new AtomicLong();
    private final long now = System.currentTimeMillis();

    @BeforeAll
    static void start() {
        gateway = new LiveGateway(SignedEventsHostileIT.class, PORT_BASE, GatewayServer.Limits.defaults());
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void everyHostileSignedRequestGetsItsExactAnswerAndCountsNothing() throws Exception {
        List<Case> cases = cases();
        List<String> failures = new ArrayList<>();
        Map<String, Integer> byError = new TreeMap<>();
        try (RawHttp http = new RawHttp(gateway.port(), 30_000)) {
            for (Case c : cases) {
                Counts before = gateway.totals();
                long rejectedBefore = gateway.events("rejected");
                Answer a = http.exchange(c.request());
                check(c, a, before, gateway.events("rejected") - rejectedBefore, failures);
                byError.merge(c.status() + " " + c.error(), 1, Integer::sum);
            }
        }
        System.out.printf("signed /events hostile corpus: %d cases%n", cases.size());
        byError.forEach((e, n) -> System.out.printf("  %-40s %5d%n", e, n));
        System.out.println("counted by outcome/reason: " + gateway.reasons());

        assertThat(failures).as("cases answered or counted wrongly").isEmpty();
        assertThat(gateway.reasons().keySet()).allSatisfy(key -> assertThat(key.split("/")[1]).isIn(KNOWN_REASONS));
        try (RawHttp http = new RawHttp(gateway.port(), 30_000)) {
            assertThat(http.exchange(RawHttp.ascii("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")).status()).isEqualTo(200);
        }
    }

    private List<Case> cases() {
        List<Case> out = new ArrayList<>();
        String s = "s1";

        // ---- the header itself: malformed (400) ----------------------------------------------
        for (String value : List.of(
                "", " ", "kid=s1", "kid=s1, ts=" + now, "ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1, kid=s1, ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=" + now + ", ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG + ", sig=" + VALID_SIG,
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG + ", alg=hmac-sha256",
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG + ",",
                ",kid=s1, ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1;ts=" + now + ";sig=" + VALID_SIG,
                "kid=s1 ts=" + now + " sig=" + VALID_SIG,
                "kid=\"s1\", ts=" + now + ", sig=" + VALID_SIG,
                "kid='s1', ts=" + now + ", sig=" + VALID_SIG,
                "Kid=s1, ts=" + now + ", sig=" + VALID_SIG,
                "kid = s1, ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG.substring(1),
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG + "A",
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG + "=",
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG.replace('A', '+'),
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG.replace('A', '/'),
                "kid=s1, ts=" + now + ", sig=" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
                "kid=s1, ts=" + now + ", sig=" + "00".repeat(32),
                "kid=s1, ts=" + now + ", sig=",
                "kid=, ts=" + now + ", sig=" + VALID_SIG,
                "kid=" + "k".repeat(33) + ", ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1%2C, ts=" + now + ", sig=" + VALID_SIG,
                "kid%3Ds1, ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=-" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=+" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=" + now + ".0, sig=" + VALID_SIG,
                "kid=s1, ts=1.7e12, sig=" + VALID_SIG,
                "kid=s1, ts=0x18C, sig=" + VALID_SIG,
                "kid=s1, ts=9999999999999999, sig=" + VALID_SIG,
                "kid=s1, ts=" + "9".repeat(200) + ", sig=" + VALID_SIG,
                "kid=s1, ts=, sig=" + VALID_SIG,
                "kid=s1, ts=NaN, sig=" + VALID_SIG,
                "kid=s1, " + " ".repeat(300) + "ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1, ts=" + now + ", sig=" + VALID_SIG + ", x=" + "y".repeat(250),
                "kid=<script>, ts=" + now + ", sig=" + VALID_SIG,
                "kid=s1' OR '1'='1, ts=" + now + ", sig=" + VALID_SIG,
                "kid=${jndi:ldap://x}, ts=" + now + ", sig=" + VALID_SIG,
                "kid=../../etc/passwd, ts=" + now + ", sig=" + VALID_SIG)) {
            out.add(new Case("malformed header: " + shorten(value), request(rawHeader(value), body(7, 3)), 400, "bad_signature_header", 1, 0));
        }
        // raw bytes outside ASCII (UTF-8 look-alikes, Latin-1, a NUL) in the header value
        for (byte[] raw : List.of(utf8("kid=ѕ1, ts=" + now + ", sig=" + VALID_SIG), utf8("kid=s1, ts=１７００, sig=" + VALID_SIG),
                latin1("kid=s\u00e91, ts=" + now + ", sig=" + VALID_SIG))) {
            out.add(new Case("header bytes " + shorten(new String(raw, StandardCharsets.ISO_8859_1)), request(concat(latin1(RequestSignature.HEADER + ": "),
                    raw, latin1("\r\n")), body(7, 3)), 400, "bad_signature_header", 1, 0));
        }
        {
            String body = body(7, 3);
            String h = sign(s, now, body);
            out.add(new Case("the header twice", request(header(h) + header(h), body), 400, "bad_signature_header", 1, 0));
            out.add(new Case("a second, empty header", request(header(h) + header(""), body), 400, "bad_signature_header", 1, 0));
            // Header injection: CR or LF inside the value never reaches the endpoint as one header.
            out.add(new Case("CR LF injected into the value", request(RequestSignature.HEADER + ": kid=s1\r\n, ts=" + now + ", sig=" + VALID_SIG
                    + "\r\n", body), 400, "bad_http", 1, 0));
            // Netty unfolds it with a space: no longer the header that was signed, and not well formed.
            out.add(new Case("header folded onto a second line", request(RequestSignature.HEADER + ": " + h.substring(0, 10) + "\r\n\t"
                    + h.substring(10) + "\r\n", body), 400, "bad_signature_header", 1, 0));
            out.add(new Case("a NUL byte in the value", request(concat(latin1(RequestSignature.HEADER + ": kid=s1\u0000, ts=" + now + ", sig="
                    + VALID_SIG + "\r\n")), body), 400, "bad_http", 1, 0));
            out.add(new Case("a header over the size limit", request(header(h) + "X-Pad: " + "p".repeat(20_000) + "\r\n", body), 431,
                    "headers_too_large", 1, 0));
        }

        // ---- a well-formed header that does not vouch for this request (403) -------------------
        {
            String body = body(7, 3);
            String other = body(7, 3);
            out.add(new Case("body swapped for another", request(header(sign(s, now, body)), other), 403, "bad_request_signature", 1, 0));
            out.add(new Case("body cut by a byte", request(header(sign(s, now, body)), body.substring(0, body.length() - 1)), 403,
                    "bad_request_signature", 1, 0));
            out.add(new Case("body cut to its first line", request(header(sign(s, now, body)), body.substring(0, body.indexOf('\n') + 1)), 403,
                    "bad_request_signature", 1, 0));
            out.add(new Case("a line appended", request(header(sign(s, now, body)), body + body(7, 3)), 403, "bad_request_signature", 1, 0));
            out.add(new Case("a trailing newline added", request(header(sign(s, now, body)), body + "\n"), 403, "bad_request_signature", 1, 0));
            out.add(new Case("LF turned into CRLF", request(header(sign(s, now, body)), body.replace("\n", "\r\n")), 403,
                    "bad_request_signature", 1, 0));
            out.add(new Case("empty body, signed for another", request(header(sign(s, now, body)), ""), 403, "bad_request_signature", 1, 0));
            out.add(new Case("ts changed after signing", request(header(sign(s, now, body).replace("ts=" + now, "ts=" + (now + 1))), body),
                    403, "bad_request_signature", 1, 0));
            out.add(new Case("kid changed after signing", request(header(sign(s, now, body).replace("kid=s1", "kid=s-c1")), body), 403,
                    "bad_request_signature", 1, 0));
            out.add(new Case("signed for /s", request(header(RequestSignature.header(key(), "POST", "/s", s, now, utf8(body))), body), 403,
                    "bad_request_signature", 1, 0));
            out.add(new Case("signed for GET", request(header(RequestSignature.header(key(), "GET", "/events", s, now, utf8(body))), body),
                    403, "bad_request_signature", 1, 0));
            out.add(new Case("signed with a campaign's secret", request(header(RequestSignature.header(BeaconSigner.key("demo-secret-1"), "POST",
                    "/events", s, now, utf8(body))), body), 403, "bad_request_signature", 1, 0));
            out.add(new Case("a beacon signature as the request's", request(header("kid=s1, ts=" + now + ", sig="
                    + BeaconSigner.sign(key(), io.adgrid.event.EventType.IMPRESSION, Map.of("b", "7"))), body), 403, "bad_request_signature", 1, 0));
            out.add(new Case("unknown kid", request(header(sign("s9", now, body)), body), 403, "unknown_sender_key", 1, 0));
            out.add(new Case("a campaign's kid", request(header(sign("0", now, body)), body), 403, "unknown_sender_key", 1, 0));
            out.add(new Case("disabled key", request(header(sign("s-off", now, body)), body), 403, "disabled_sender_key", 1, 0));
        }

        // ---- time (422) ----------------------------------------------------------------------------
        for (long ts : new long[] {now - 16 * 60_000, now - 86_400_000L, 0, 1, now + 2 * 60_000, now + 365 * 86_400_000L, 999_999_999_999_999L}) {
            String body = body(7, 3);
            out.add(new Case("ts " + (ts - now) + " ms from now", request(header(sign(s, ts, body)), body), 422,
                    ts < now ? "request_ts_too_old" : "request_ts_in_future", 1, 0));
        }

        // ---- the method and path -------------------------------------------------------------------
        {
            String body = body(7, 3);
            out.add(new Case("signed GET /events", bytes("GET /events HTTP/1.1\r\nHost: gw\r\n" + header(sign(s, now, body)) + "\r\n"), 405,
                    "method_not_allowed", 1, 0));
        }

        // ---- lines the request vouches for but the gateway refuses (200, per line) ----------------
        {
            String body = body(8, 3); // campaign 2
            out.add(new Case("every line of a campaign off the key's list", request(header(sign("s-c1", now, body)), body), 200,
                    "campaign_not_allowed", 3, 0));
            String withSigs = signedLines(7, 3);
            out.add(new Case("lines that carry their own sig", request(header(sign(s, now, withSigs)), withSigs), 200, "sig_in_signed_request",
                    3, 0));
            String garbage = "{\"type\":\"impression\"\n\u0000\u0001\n{}\n";
            out.add(new Case("garbage lines, signed", request(header(sign(s, now, garbage)), garbage), 200, "bad_json", 3, 0));
        }

        // ---- harmless variants: accepted, each line counted once -------------------------------
        {
            String body = body(7, 3);
            String h = sign(s, now, body);
            out.add(new Case("valid", request(header(h), body), 200, null, 0, 3));
            out.add(new Case("the same request again", request(header(h), body), 409, "replayed_request", 1, 0));
            String[] parts = h.split(", ");
            String body2 = body(7, 4);
            String[] p2 = sign(s, now, body2).split(", ");
            out.add(new Case("parameters in another order, tabs", request(header(p2[2] + ",\t" + p2[0] + " ,  " + p2[1]), body2), 200, null, 0, 3));
            String body3 = body(8, 4);
            out.add(new Case("header name in lower case", request("x-adgrid-signature: " + sign(s, now, body3) + "\r\n", body3), 200, null, 0, 3));
            String crlf = body(7, 3).replace("\n", "\r\n");
            out.add(new Case("CRLF lines, signed as sent", request(header(sign(s, now, crlf)), crlf), 200, null, 0, 3));
            String body4 = body(7, 3);
            out.add(new Case("chunked body", chunked(header(sign(s, now, body4)), body4), 200, null, 0, 3));
            String resent = body;
            out.add(new Case("the same lines signed again", request(header(sign(s, now + 1, resent)), resent), 200, "duplicates", 0, 0));
            out.add(new Case("an empty body, signed", request(header(sign(s, now, "")), ""), 200, null, 0, 0));
            assertThat(parts).hasSize(3);
        }
        return out;
    }

    private static void check(Case c, Answer a, Counts before, long rejections, List<String> failures) {
        String what = c.name() + ": ";
        String body = a.text();
        if (a.status() != c.status()) {
            failures.add(what + "status " + a.status() + ", expected " + c.status() + " " + shorten(body));
        }
        if (body.contains("Exception") || body.contains("\tat ") || body.contains(".java:")) {
            failures.add(what + "stack trace in the body");
        }
        if (c.error() != null && !"duplicates".equals(c.error())) {
            Matcher m = ERROR.matcher(body);
            if (!m.find() || !m.group(1).equals(c.error())) {
                failures.add(what + "error " + shorten(body) + ", expected " + c.error());
            }
        }
        if (c.status() == 200) {
            Matcher m = ACCEPTED.matcher(body);
            // a re-signed request is accepted whole, every line as a duplicate
            int accepted = "duplicates".equals(c.error()) ? 3 : c.impressions();
            if ("duplicates".equals(c.error()) && !body.contains("\"duplicates\":3")) {
                failures.add(what + "not answered as duplicates: " + shorten(body));
            }
            if (!m.find() || Integer.parseInt(m.group(1)) != accepted) {
                failures.add(what + "accepted " + shorten(body) + ", expected " + c.impressions());
            }
        }
        if (rejections != c.rejections()) {
            failures.add(what + "counted " + rejections + " rejections, expected " + c.rejections());
        }
        Counts after = gateway.totals();
        if (after.impressions - before.impressions != c.impressions() || after.clicks != before.clicks
                || after.conversions != before.conversions || after.revenueMicros != before.revenueMicros) {
            failures.add(what + "grid totals " + after + ", before " + before + ", expected +" + c.impressions() + " impressions");
        }
    }

    // ---- building requests ----------------------------------------------------------------------

    /** Three fresh impressions of {@code banner} (never seen before: a wrong acceptance would count). */
    private String body(long banner, long publisher) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            b.append("{\"type\":\"impression\",\"b\":").append(banner).append(",\"p\":").append(publisher).append(",\"ts\":").append(now)
                    .append(",\"n\":\"h").append(unique.incrementAndGet()).append("\"}\n");
        }
        return b.toString();
    }

    /** Three fresh impressions, each signed on its own with campaign 1's key. */
    private String signedLines(long banner, long publisher) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            Map<String, String> p = TestCatalog.signed(TestCatalog.CAMPAIGN_1, TestCatalog.beacon(banner, publisher, now, "h" + unique.incrementAndGet()));
            b.append("{\"type\":\"impression\",\"b\":\"").append(p.get("b")).append("\",\"p\":\"").append(p.get("p")).append("\",\"ts\":\"")
                    .append(p.get("ts")).append("\",\"n\":\"").append(p.get("n")).append("\",\"sig\":\"").append(p.get("sig")).append("\"}\n");
        }
        return b.toString();
    }

    private static javax.crypto.spec.SecretKeySpec key() {
        return BeaconSigner.key(TestCatalog.SENDER_SECRET);
    }

    private static String sign(String kid, long ts, String body) {
        return RequestSignature.header(key(), "POST", "/events", kid, ts, utf8(body));
    }

    private static String header(String value) {
        return RequestSignature.HEADER + ": " + value + "\r\n";
    }

    private static byte[] rawHeader(String value) {
        return latin1(header(value));
    }

    private static byte[] request(String headers, String body) {
        return request(latin1(headers), body);
    }

    private static byte[] request(byte[] headers, String body) {
        byte[] b = utf8(body);
        return concat(latin1("POST /events HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + b.length + "\r\n"),
                headers, latin1("\r\n"), b);
    }

    private static byte[] chunked(String headers, String body) {
        byte[] b = utf8(body);
        int half = b.length / 2;
        return concat(latin1("POST /events HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n" + headers
                        + "\r\n" + Integer.toHexString(half) + "\r\n"), java.util.Arrays.copyOfRange(b, 0, half),
                latin1("\r\n" + Integer.toHexString(b.length - half) + "\r\n"), java.util.Arrays.copyOfRange(b, half, b.length), latin1("\r\n0\r\n\r\n"));
    }

    private static byte[] bytes(String s) {
        return latin1(s);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String shorten(String s) {
        String t = s.replace("\r", "\\r").replace("\n", "\\n");
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }
}
