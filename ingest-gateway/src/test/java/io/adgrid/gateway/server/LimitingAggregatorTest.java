package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.route.Route;
import io.adgrid.gateway.route.RoutedRequest;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's pipeline ({@link GatewayServer#handlers}: codec, {@link LimitingAggregator},
 * {@link BeaconHttpHandler}) on an embedded channel, fed raw bytes: every size limit answers its own status, in request order,
 * counted, and the connection stays usable when the request could be read to its end.
 */
class LimitingAggregatorTest {

    private static final long TS = NOW - 5_000;
    /** Small limits so the tests stay small: URL 200, headers 1 KiB, /events 8 KiB, sale 2 KiB. */
    private static final GatewayServer.Limits LIMITS = new GatewayServer.Limits(200, 1024, 8 * 1024, 2 * 1024);

    private final InMemorySink sink = new InMemorySink();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final BeaconService service = new BeaconService(
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true, metrics);
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @BeforeEach
    void wire() {
        GatewayServer.handlers(channel.pipeline(), LIMITS, service);
    }

    @AfterEach
    void close() {
        assertThat(channel.finishAndReleaseAll()).as("messages left unread").isFalse();
    }

    @Test
    void saleBodyDeclaredOverItsLimitIsRefusedUnreadAndAnsweredInTurn() {
        String valid = impression("a");
        String oversized = "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 3000\r\n\r\n" + "x".repeat(3000);

        List<String> answers = send(valid + oversized + impression("b"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(200, 413, 200);
        assertThat(answers.get(1)).contains("\"error\":\"body_too_large\"");
        assertThat(sink.counted()).hasSize(2);
        assertThat(rejected("sale", "body_too_large")).isEqualTo(1);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void chunkedSaleBodyOverItsLimitIsRefusedAndTheConnectionStaysUsable() {
        StringBuilder chunked = new StringBuilder("POST /s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 5; i++) {
            chunked.append("200\r\n").append("7".repeat(512)).append("\r\n");
        }
        chunked.append("0\r\n\r\n");

        List<String> answers = send(chunked + impression("a"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(413, 200);
        assertThat(sink.counted()).hasSize(1);
    }

    @Test
    void eachRequestLeavesTheAggregatorWithTheRouteOfItsHead() {
        EmbeddedChannel bare = new EmbeddedChannel(new HttpServerCodec(), new LimitingAggregator(LIMITS));
        String raw = "POST /events?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\n{}\n"
                + "GET /i?a=b HTTP/1.1\r\nHost: gw\r\n\r\n"
                + "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Length: 3000\r\n\r\n"; // over the sale limit: passed on, failed, unread
        bare.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        List<RoutedRequest> read = new java.util.ArrayList<>();
        for (Object m; (m = bare.readInbound()) != null; ) {
            assertThat(m).isInstanceOf(RoutedRequest.class);
            read.add((RoutedRequest) m);
        }
        assertThat(read).extracting(RoutedRequest::route).containsExactly(Route.EVENTS, Route.IMPRESSION, Route.SALE);
        RoutedRequest events = read.get(0);
        assertThat(events.request().content().readableBytes()).isEqualTo(3);
        assertThat(events.release()).as("released with its request").isTrue();
        assertThat(events.request().refCnt()).isZero();
        read.subList(1, 3).forEach(RoutedRequest::release);
        assertThat(bare.finishAndReleaseAll()).isFalse();
    }

    @Test
    void eventsBodyMayBeLargerThanASaleBody() {
        String lines = "{}\n".repeat(1500); // 4.5 KiB: over the sale limit, under the /events one
        String request = "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: " + lines.length() + "\r\n\r\n" + lines;

        List<String> answers = send(request);

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(200);
        assertThat(answers.get(0)).contains("\"rejected\":1500");
    }

    @Test
    void eventsBodyOverItsLimitIs413() {
        String lines = "{}\n".repeat(3000); // 9 KiB
        List<String> answers = send("POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: " + lines.length() + "\r\n\r\n" + lines);

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(413);
        assertThat(rejected("unknown", "body_too_large")).isEqualTo(1);
    }

    @Test
    void oversizedBodyAnnouncedWithExpectContinueGets413InsteadOfAContinueAndCloses() {
        List<String> answers = send("POST /s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n");

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(413);
        assertThat(answers.get(0)).containsIgnoringCase("connection: close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void saleAnnouncedWithExpectContinueGetsItsContinueAndIsAccepted() {
        StringBuilder form = new StringBuilder();
        signed(CAMPAIGN_1, io.adgrid.gateway.TestCatalog.sale(7, 3, "o-1", "12.50", TS))
                .forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(k).append('=').append(v));
        String head = "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Expect: 100-continue\r\nContent-Length: " + form.length() + "\r\n\r\n";

        assertThat(EmbeddedHttp.statuses(send(head))).containsExactly(100);
        assertThat(EmbeddedHttp.statuses(send(form.toString()))).containsExactly(202);
        assertThat(sink.counted()).hasSize(1);
    }

    @Test
    void urlAtTheLimitIsReadAndOneCharacterMoreIs414() {
        String atLimit = "/x?" + "a".repeat(200 - 3);
        String over = atLimit + "a";

        assertThat(EmbeddedHttp.statuses(send("GET " + atLimit + " HTTP/1.1\r\nHost: gw\r\n\r\n"))).containsExactly(404);
        List<String> answers = send("GET " + over + " HTTP/1.1\r\nHost: gw\r\n\r\n");

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(414);
        assertThat(answers.get(0)).contains("\"error\":\"uri_too_long\"").containsIgnoringCase("connection: close");
        assertThat(rejected("unknown", "uri_too_long")).isEqualTo(1);
    }

    @Test
    void requestLineTooLongForTheDecoderIs414AndCloses() {
        List<String> answers = send("GET /i?b=" + "7".repeat(1000) + " HTTP/1.1\r\nHost: gw\r\n\r\n");

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(414);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void headersOverTheLimitAre431AndClose() {
        List<String> answers = send("GET /i HTTP/1.1\r\nHost: gw\r\nX-Big: " + "h".repeat(2000) + "\r\n\r\n");

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(431);
        assertThat(answers.get(0)).contains("\"error\":\"headers_too_large\"");
        assertThat(rejected("impression", "headers_too_large")).isEqualTo(1);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void limitsTooSmallToServeABeaconAreRefusedAtStart() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GatewayServer.Limits(10, 1024, 8192, 2048))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static String impression(String nonce) {
        StringBuilder q = new StringBuilder();
        signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)).forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(v));
        return "GET /i?" + q + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }

    private List<String> send(String raw) {
        return EmbeddedHttp.send(channel, raw);
    }

    private double rejected(String type, String reason) {
        Counter c = metrics.find("adgrid.gateway.events").tag("type", type).tag("outcome", "rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
