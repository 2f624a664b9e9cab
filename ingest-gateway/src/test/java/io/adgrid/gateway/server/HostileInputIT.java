package io.adgrid.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.adgrid.event.EventType;
import io.adgrid.gateway.server.HostileCases.Case;
import io.adgrid.gateway.server.RawHttp.Answer;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several thousand hostile requests through the real gateway (Netty on a free port, the real
 * validator, the real {@code GridBatcher} and a real Hazelcast member). Each gets its exact status
 * (never a 5xx, never a dropped connection), moves the grid totals by exactly what it should (zero
 * for every hostile one, read back from the grid after each request), counts exactly one rejection
 * (or one per rejected {@code /events} line) under a bounded reason, never redirects anywhere but
 * the banner's registered landing URL, and leaves the gateway healthy and counting.
 */
class HostileInputIT {

    private static final int PORT_BASE = TestPorts.of(6100);
    /** Every reason the gateway may tag a counted event with: fixed strings, never request data. */
    static final Set<String> KNOWN_REASONS = Set.of("ok", "bad_encoding", "too_many_parameters", "repeated_parameter", "value_too_long",
            "bad_json", "unknown_parameter", "bad_banner_id", "bad_publisher_id", "bad_ts", "bad_order", "bad_amount", "bad_nonce", "bad_sig",
            "unknown_banner", "unknown_publisher", "bad_signature", "ts_too_old", "ts_in_future", "negative_amount", "amount_precision",
            "amount_too_large", "bad_type", "not_found", "method_not_allowed", "uri_too_long", "headers_too_large", "body_too_large",
            "too_many_lines", "bad_http", "unsupported_media_type", "ambiguous_parameters", "bad_kid", "unknown_key", "retired_key",
            "bad_user");
    private static final Pattern ERROR = Pattern.compile("\"error\":\"([^\"]*)\"");
    private static final Pattern FIRST_LINE_STATUS = Pattern.compile("\"errors\":\\[\\{\"line\":\\d+,\"status\":(\\d+)");
    private static final Pattern REJECTED = Pattern.compile("\"rejected\":(\\d+)");

    private static LiveGateway gateway;

    @BeforeAll
    static void start() {
        gateway = new LiveGateway(HostileInputIT.class, PORT_BASE, GatewayServer.Limits.defaults());
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void everyHostileRequestGetsItsExactFourHundredAndCountsNothing() throws Exception {
        List<Case> cases = new HostileCases(System.currentTimeMillis())
                .generate().redirectInjection().duplicatedAndSwapped().tamperedAndOutOfWindow().httpLevel().brokenJson()
                .typeSwaps().replays().mustBeAccepted().cases;
        List<String> failures = new ArrayList<>();
        Map<Integer, Integer> byStatus = new TreeMap<>();
        Map<Integer, Integer> byLineStatus = new TreeMap<>();
        Map<String, Integer> byGroup = new TreeMap<>();
        Counts expected = gateway.totals();
        try (RawHttp http = new RawHttp(gateway.port(), 30_000)) {
            for (Case c : cases) {
                long rejectedBefore = gateway.events("rejected");
                Answer a = http.exchange(c.request());
                if (c.group().startsWith("body too large: declared, not sent")) {
                    http.disconnect(); // the connection still expects the declared body
                }
                expected.add(c.delta());
                check(c, a, expected, gateway.events("rejected") - rejectedBefore, failures);
                byStatus.merge(c.status(), 1, Integer::sum);
                if (c.lineStatus() != 0) {
                    byLineStatus.merge(c.lineStatus(), 1, Integer::sum);
                }
                byGroup.merge(c.group(), 1, Integer::sum);
                if (failures.size() > 200) {
                    break;
                }
            }
        }
        System.out.printf("hostile input: %d cases by expected status %s; of the 200s, %d are /events answers refusing their line,"
                + " by line status %s%n", cases.size(), byStatus, byLineStatus.values().stream().mapToInt(Integer::intValue).sum(), byLineStatus);
        byGroup.forEach((g, n) -> System.out.printf("  %-40s %5d%n", g, n));
        System.out.println("counted by outcome/reason: " + gateway.reasons());

        assertThat(failures).as("cases answered or counted wrongly").isEmpty();
        assertThat(cases).hasSizeGreaterThan(5_000);
        assertThat(byStatus.keySet()).contains(400, 403, 404, 405, 413, 414, 415, 422, 431);
        assertThat(gateway.reasons().keySet()).allSatisfy(key -> {
            String[] outcomeReason = key.split("/");
            assertThat(outcomeReason[0]).isIn("accepted", "duplicate", "rejected");
            assertThat(outcomeReason[1]).isIn(KNOWN_REASONS);
        });
        assertGatewayStillHealthyAndCounting();
    }

    private static void check(Case c, Answer a, Counts expected, long rejections, List<String> failures) {
        String what = c.group() + " / " + c.name() + ": ";
        String body = a.text();
        if (a.status() != c.status()) {
            failures.add(what + "status " + a.status() + ", expected " + c.status() + " " + HostileCases.shorten(body));
        }
        if (a.status() >= 500 || a.status() == RawHttp.NO_ANSWER) {
            failures.add(what + "no 4xx answer: " + a.status());
        }
        if (body.contains("Exception") || body.contains("\tat ") || body.contains(".java:")) {
            failures.add(what + "stack trace in the body: " + HostileCases.shorten(body));
        }
        String location = a.header("location");
        if (a.status() == 302 ? !c.location().equals(location) : location != null) {
            failures.add(what + "Location " + location + " (status " + a.status() + ")");
        }
        boolean head = new String(c.request(), 0, 5, java.nio.charset.StandardCharsets.ISO_8859_1).equals("HEAD ");
        if (a.status() >= 400 && !head) {
            Matcher m = ERROR.matcher(body);
            if (!m.find() || !KNOWN_REASONS.contains(m.group(1))) {
                failures.add(what + "no known error code in " + HostileCases.shorten(body));
            }
        }
        if (c.lineStatus() != 0) {
            Matcher m = FIRST_LINE_STATUS.matcher(body);
            Matcher r = REJECTED.matcher(body);
            if (!m.find() || Integer.parseInt(m.group(1)) != c.lineStatus() || !r.find() || Integer.parseInt(r.group(1)) != c.rejections()) {
                failures.add(what + "line answer " + HostileCases.shorten(body) + ", expected line status " + c.lineStatus());
            }
        }
        if (rejections != c.rejections()) {
            failures.add(what + "counted " + rejections + " rejections, expected " + c.rejections());
        }
        Counts actual = gateway.totals();
        if (actual.impressions != expected.impressions || actual.clicks != expected.clicks || actual.conversions != expected.conversions
                || actual.revenueMicros != expected.revenueMicros) {
            failures.add(what + "grid totals " + actual + ", expected " + expected);
            // carry on from what the grid holds, so one wrong case is reported once
            expected.impressions = actual.impressions;
            expected.clicks = actual.clicks;
            expected.conversions = actual.conversions;
            expected.revenueMicros = actual.revenueMicros;
        }
    }

    private static void assertGatewayStillHealthyAndCounting() throws Exception {
        try (RawHttp http = new RawHttp(gateway.port(), 30_000)) {
            assertThat(http.exchange(RawHttp.ascii("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")).status()).isEqualTo(200);
            Counts before = gateway.totals();
            HostileCases one = new HostileCases(System.currentTimeMillis());
            java.util.List<String[]> click = HostileCases.pairs(one.validParams(EventType.CLICK, 8, 4));
            Answer a = http.exchange(RawHttp.ascii("GET /c?" + HostileCases.query(click, false) + " HTTP/1.1\r\nHost: gw\r\n\r\n"));
            assertThat(a.status()).isEqualTo(302);
            assertThat(a.header("location")).isEqualTo(HostileCases.landing(click)).startsWith("https://shop.example.org/p?id=8&utm_source=adgrid&agclid=");
            assertThat(gateway.totals().clicks).isEqualTo(before.clicks + 1);
        }
    }
}
