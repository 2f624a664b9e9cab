package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.BANNER_10;
import static io.adgrid.gateway.TestCatalog.BANNER_7;
import static io.adgrid.gateway.TestCatalog.BANNER_8;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_2;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_3;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.sale;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import io.adgrid.catalog.SenderKey;
import io.adgrid.event.EventType;
import io.adgrid.gateway.InMemoryCatalog;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.batching.OverloadedException;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Request-signed {@code POST /events} (issue 23) through the gateway's handler, without sockets: the
 * header read and verified, lines without {@code sig} validated and deduplicated as signed beacons
 * are, a sender key's campaign list applied line by line, and the same signed request refused again.
 */
class SignedEventsTest {

    private static final long TS = NOW - 5_000;
    private static final String SECRET = "sender-secret-0123456789";
    private static final String OLD_SECRET = "old-sender-secret-012345";
    /** May send campaigns 1 and 3; its previous secret signs for another minute. */
    private static final SenderKey S1 = new SenderKey("s1", bytes(SECRET), bytes(OLD_SECRET), NOW + 60_000, false, List.of(1L, 3L));
    private static final SenderKey GONE = new SenderKey("gone", bytes(SECRET), null, 0, true, List.of(1L));
    private static final SenderKey ROTATED = new SenderKey("rotated", bytes(SECRET), bytes(OLD_SECRET), NOW, false, List.of(1L));

    private final InMemoryCatalog catalog = new InMemoryCatalog(
            List.of(CAMPAIGN_1, CAMPAIGN_2, CAMPAIGN_3), List.of(BANNER_7, BANNER_8, BANNER_10), List.of(3L, 4L))
            .senderKeys(S1, GONE, ROTATED);
    private final InMemorySink sink = new InMemorySink();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final BeaconService service = new BeaconService(
            new BeaconValidator(catalog, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true, metrics);
    private final EmbeddedChannel channel = new EmbeddedChannel(new BeaconHttpHandler(service));

    @AfterEach
    void closeChannel() {
        assertThat(channel.finishAndReleaseAll()).as("messages left unread").isFalse();
    }

    @Test
    void aSignedBatchCountsLinesWithoutSigsUnderTheIdentitiesTheirOwnSignaturesWouldGive() {
        String body = lines(
                line("impression", beacon(7, 3, TS, "r1")),
                line("click", beacon(7, 3, TS, "r1")),
                line("sale", sale(7, 3, "o-1", "12.50", TS)));

        Answer a = exchange(signedPost(body, "s1", NOW, SECRET));

        assertThat(a.status).isEqualTo(200);
        assertThat(a.body).contains("\"accepted\":3", "\"duplicates\":0", "\"suspect_clicks\":0", "\"rejected\":0");
        assertThat(sink.counted()).extracting(GridEvent::type).containsExactly(EventType.IMPRESSION, EventType.CLICK, EventType.SALE);
        assertThat(sink.counted().get(2).amountMicros()).isEqualTo(12_500_000L);

        // The same rendering signed on its own is the same event: a duplicate, not a second count.
        Answer own = exchange(post(lines(line("impression", signed(CAMPAIGN_1, beacon(7, 3, TS, "r1")))), null));
        assertThat(own.body).contains("\"accepted\":1", "\"duplicates\":1");
        assertThat(sink.counted()).hasSize(3);
    }

    @Test
    void theSameSignedRequestAgainIsRefusedAndSignedAgainItCountsNothingTwice() {
        String body = lines(line("impression", beacon(7, 3, TS, "a")), line("impression", withKid(beacon(10, 4, TS, "b"), "k3")));
        FullHttpRequest first = signedPost(body, "s1", NOW, SECRET);
        FullHttpRequest replay = first.copy();

        assertThat(exchange(first).body).contains("\"accepted\":2");
        Answer again = exchange(replay);
        assertThat(again.status).isEqualTo(409);
        assertThat(again.body).contains("\"replayed_request\"");
        assertThat(sink.submitted()).as("a refused replay reaches no grid").hasSize(2);

        Answer resigned = exchange(signedPost(body, "s1", NOW + 1, SECRET));
        assertThat(resigned.status).isEqualTo(200);
        assertThat(resigned.body).contains("\"accepted\":2", "\"duplicates\":2");
        assertThat(sink.counted()).hasSize(2);
        assertThat(eventCount("unknown", "rejected", "replayed_request")).isEqualTo(1);
    }

    @Test
    void eachLineIsStillValidatedAndACampaignOffTheListIsRefusedOnItsOwn() {
        String body = lines(
                line("impression", beacon(7, 3, TS, "ok")),                          // 1 campaign 1: counted
                line("impression", beacon(8, 3, TS, "x")),                           // 2 campaign 2, not on the list: 403
                line("impression", signed(CAMPAIGN_1, beacon(7, 3, TS, "sig"))),     // 3 a line sig: 400
                line("impression", beacon(999, 3, TS, "y")),                         // 4 unknown banner: 404
                line("impression", beacon(7, 99, TS, "z")),                          // 5 unknown publisher: 404
                line("impression", beacon(7, 3, NOW - 3_600_000, "old")),            // 6 ts too old: 422
                line("impression", beacon(10, 3, TS, "retired")),                    // 7 campaign 3's kid 0 is retired: 403
                line("impression", withKid(beacon(10, 3, TS, "k3"), "k3")),          // 8 its kid k3: counted
                line("sale", sale(7, 3, "o-neg", "-1", TS)),                         // 9 negative amount: 422
                "{\"type\":\"impression\",\"b\":7");                                 // 10 broken JSON: 400

        Answer a = exchange(signedPost(body, "s1", NOW, SECRET));

        assertThat(a.status).isEqualTo(200);
        assertThat(a.body).contains("\"accepted\":2", "\"rejected\":8");
        assertThat(errors(a.body)).containsExactly(
                "2:403:campaign_not_allowed", "3:400:sig_in_signed_request", "4:404:unknown_banner", "5:404:unknown_publisher",
                "6:422:ts_too_old", "7:403:retired_key", "9:422:negative_amount", "10:400:bad_json");
        assertThat(sink.counted()).extracting(GridEvent::bannerId).containsExactly(7L, 10L);
    }

    @Test
    void everyProblemWithTheSignatureRefusesTheWholeRequestAndCountsNothing() {
        String body = lines(line("impression", beacon(7, 3, TS, "h")));
        byte[] bytes = bytes(body);

        assertRefused(withHeader(post(body, null), "kid=s1, ts=" + NOW), 400, "bad_signature_header");
        FullHttpRequest twice = signedPost(body, "s1", NOW, SECRET);
        twice.headers().add(RequestSignature.HEADER, header("s1", NOW, SECRET, bytes));
        assertRefused(twice, 400, "bad_signature_header");
        assertRefused(signedPost(body, "nobody", NOW, SECRET), 403, "unknown_sender_key");
        assertRefused(signedPost(body, "gone", NOW, SECRET), 403, "disabled_sender_key");
        assertRefused(signedPost(body, "s1", NOW, "not-the-sender-secret!!"), 403, "bad_request_signature");
        assertRefused(withHeader(post(body.replace("\"h\"", "\"j\""), null), header("s1", NOW, SECRET, bytes)), 403, "bad_request_signature");
        assertRefused(withHeader(post(body.substring(0, body.length() - 1), null), header("s1", NOW, SECRET, bytes)), 403,
                "bad_request_signature");
        assertRefused(withHeader(post(body + body, null), header("s1", NOW, SECRET, bytes)), 403, "bad_request_signature");
        assertRefused(withHeader(post(body, null), header("s1", NOW + 1, SECRET, bytes).replace("ts=" + (NOW + 1), "ts=" + NOW)), 403,
                "bad_request_signature");
        assertRefused(signedPost(body, "s1", NOW - 16 * 60_000, SECRET), 422, "request_ts_too_old");
        assertRefused(signedPost(body, "s1", NOW + 2 * 60_000, SECRET), 422, "request_ts_in_future");
        assertRefused(signedPost(body, "rotated", NOW, OLD_SECRET), 403, "bad_request_signature");

        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void thePreviousSecretSignsDuringTheRotationsOverlap() {
        Answer a = exchange(signedPost(lines(line("impression", beacon(7, 3, TS, "o"))), "s1", NOW, OLD_SECRET));
        assertThat(a.status).isEqualTo(200);
        assertThat(a.body).contains("\"accepted\":1");
    }

    @Test
    void untilTheSenderKeysAreReadARequestSignedBodyIsAskedToComeBack() {
        catalog.senderKeys((SenderKey[]) null);
        Answer a = exchange(signedPost(lines(line("impression", beacon(7, 3, TS, "w"))), "s1", NOW, SECRET));
        assertThat(a.status).isEqualTo(503);
        assertThat(a.retryAfter).isEqualTo("1");
        assertThat(a.body).contains("\"sender_keys_loading\"");
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void aSignedRequestTheGridCouldNotTakeMayBeSentAgainAsItIs() {
        String body = lines(line("impression", beacon(7, 3, TS, "retry")));
        FullHttpRequest first = signedPost(body, "s1", NOW, SECRET);
        FullHttpRequest again = first.copy();
        sink.failWith(new OverloadedException("busy"));
        Answer failed = exchange(first);
        assertThat(failed.body).contains("\"accepted\":0", "\"status\":503");

        sink.failWith(null);
        Answer retried = exchange(again);
        assertThat(retried.status).isEqualTo(200);
        assertThat(retried.body).contains("\"accepted\":1");
        assertThat(sink.counted()).hasSize(1);
    }

    @Test
    void withoutTheHeaderALineWithoutSigIsRefusedAsBefore() {
        Answer a = exchange(post(lines(line("impression", beacon(7, 3, TS, "u"))), null));
        assertThat(errors(a.body)).containsExactly("1:400:bad_sig");
        assertThat(sink.submitted()).isEmpty();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private record Answer(int status, String retryAfter, String body) {
    }

    private void assertRefused(FullHttpRequest request, int status, String error) {
        Answer a = exchange(request);
        assertThat(a.status).as(error).isEqualTo(status);
        assertThat(a.body).as(error).contains("\"error\":\"" + error + "\"");
    }

    private Answer exchange(FullHttpRequest request) {
        channel.writeInbound(request);
        channel.runPendingTasks();
        FullHttpResponse r = channel.readOutbound();
        assertThat(r).as("an answer was written").isNotNull();
        try {
            return new Answer(r.status().code(), r.headers().get(HttpHeaderNames.RETRY_AFTER),
                    new String(ByteBufUtil.getBytes(r.content()), StandardCharsets.UTF_8));
        } finally {
            r.release();
            assertThat((Object) channel.readOutbound()).as("exactly one answer per request").isNull();
        }
    }

    private double eventCount(String type, String outcome, String reason) {
        Counter c = metrics.find("adgrid.gateway.events").tag("type", type).tag("outcome", outcome).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** "line:status:error" of each refused line listed in an answer. */
    private static List<String> errors(String json) {
        Matcher m = Pattern.compile("\\{\"line\":(\\d+),\"status\":(\\d+),\"error\":\"([a-z_]+)\"").matcher(json);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1) + ":" + m.group(2) + ":" + m.group(3));
        }
        return out;
    }

    private static FullHttpRequest signedPost(String body, String kid, long ts, String secret) {
        return withHeader(post(body, null), header(kid, ts, secret, bytes(body)));
    }

    private static String header(String kid, long ts, String secret, byte[] body) {
        return RequestSignature.header(BeaconSigner.key(secret), "POST", "/events", kid, ts, body);
    }

    private static FullHttpRequest withHeader(FullHttpRequest r, String value) {
        r.headers().set(RequestSignature.HEADER, value);
        return r;
    }

    private static FullHttpRequest post(String body, String ignored) {
        byte[] bytes = bytes(body);
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/events", Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length).set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson");
        return r;
    }

    private static Map<String, String> withKid(Map<String, String> params, String kid) {
        params.put("kid", kid);
        return params;
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    private static String line(String type, Map<String, String> params) {
        return params.entrySet().stream().map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
                .collect(Collectors.joining(",", "{\"type\":\"" + type + "\",", "}"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
