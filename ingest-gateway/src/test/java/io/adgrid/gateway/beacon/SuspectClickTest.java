package io.adgrid.gateway.beacon;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static io.adgrid.gateway.TestCatalog.signedV1;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_4_LEGACY;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import io.adgrid.event.EventType;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.fraud.ClickRateLimiter;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.port.GridEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** Suspect clicks at the gateway: answered like clicks, flagged when their IP is over the rate, counted in metrics. */
class SuspectClickTest {

    private static final long TS = NOW - 5_000;
    private static final InetSocketAddress ALICE = new InetSocketAddress("203.0.113.10", 40001);
    private static final InetSocketAddress BOB = new InetSocketAddress("203.0.113.11", 40002);
    private static final InetSocketAddress PROXY = new InetSocketAddress("10.0.0.1", 40003);

    private final InMemorySink sink = new InMemorySink();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    private BeaconService service(int maxClicksPerMinute, boolean trustProxy) {
        return new BeaconService(new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()),
                sink, () -> true, metrics, new ClickRateLimiter(maxClicksPerMinute, TestCatalog.CLOCK), trustProxy);
    }

    /** A beacon signed (v2) for the type of {@code path}, sent there. */
    private static FullHttpRequest get(String path, String nonce) {
        return get(path, signed(path.equals("/c") ? EventType.CLICK : EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, nonce)));
    }

    private static FullHttpRequest get(String path, Map<String, String> params) {
        String query = params.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path + "?" + query);
    }

    private static FullHttpResponse answer(BeaconService service, FullHttpRequest request, InetSocketAddress peer) {
        return service.handle(request, peer).join();
    }

    private double suspect(String reason) {
        Counter c = metrics.find("adgrid.gateway.suspect.clicks").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private double clicksAccepted() {
        Counter c = metrics.find("adgrid.gateway.events").tags("type", "click", "outcome", "accepted").counter();
        return c == null ? 0 : c.count();
    }

    private List<Boolean> flagsOfSubmittedClicks() {
        return sink.submitted().stream().filter(e -> e.type() == EventType.CLICK).map(GridEvent::suspect).toList();
    }

    @Test
    void clicksOverTheIpLimitAreStillRedirectedAndGoToTheGridFlaggedSuspect() {
        BeaconService service = service(2, false);
        for (int i = 0; i < 4; i++) {
            answer(service, get("/i", "n" + i), ALICE);
        }

        for (int i = 0; i < 4; i++) {
            FullHttpResponse r = answer(service, get("/c", "n" + i), ALICE);
            assertThat(r.status().code()).as("click %d", i).isEqualTo(302);
            assertThat(r.headers().get(HttpHeaderNames.LOCATION)).isEqualTo(TestCatalog.landingOf(TestCatalog.BANNER_7, CAMPAIGN_1, "0",
                    signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "n" + i))));
        }

        assertThat(flagsOfSubmittedClicks()).containsExactly(false, false, true, true);
        assertThat(suspect("ip_rate")).isEqualTo(2);
        assertThat(suspect("no_impression")).isZero();
        // Suspect or not, each click is accepted (counted once).
        assertThat(clicksAccepted()).isEqualTo(4);
    }

    @Test
    void everyIpHasItsOwnAllowanceAndImpressionsAreNeverLimited() {
        BeaconService service = service(1, false);
        for (int i = 0; i < 5; i++) {
            answer(service, get("/i", "n" + i), ALICE);
        }

        answer(service, get("/c", "n0"), ALICE);
        answer(service, get("/c", "n1"), BOB);
        answer(service, get("/c", "n2"), ALICE);

        assertThat(sink.submitted().stream().filter(e -> e.type() == EventType.IMPRESSION)).noneMatch(GridEvent::suspect);
        assertThat(flagsOfSubmittedClicks()).containsExactly(false, false, true);
    }

    @Test
    void clickWithoutAnImpressionIsCountedAsSuspectForNoImpression() {
        BeaconService service = service(30, false);
        answer(service, get("/i", "shown"), ALICE);

        assertThat(answer(service, get("/c", "shown"), ALICE).status().code()).isEqualTo(302);
        assertThat(answer(service, get("/c", "never-shown"), ALICE).status().code()).isEqualTo(302);
        // Its replay is a duplicate: counted nowhere again.
        assertThat(answer(service, get("/c", "never-shown"), ALICE).status().code()).isEqualTo(302);

        assertThat(suspect("no_impression")).isEqualTo(1);
        assertThat(suspect("ip_rate")).isZero();
        assertThat(flagsOfSubmittedClicks()).containsOnly(false);
    }

    @Test
    void forwardedForNamesTheClientOnlyBehindATrustedProxy() {
        for (boolean trusted : List.of(false, true)) {
            SimpleMeterRegistry unused = new SimpleMeterRegistry();
            InMemorySink own = new InMemorySink();
            BeaconService service = new BeaconService(
                    new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()),
                    own, () -> true, unused, new ClickRateLimiter(1, TestCatalog.CLOCK), trusted);
            for (int i = 0; i < 3; i++) {
                FullHttpRequest click = get("/c", "x" + i);
                click.headers().set("X-Forwarded-For", "198.51.100." + i);
                service.handle(click, PROXY).join();
            }
            List<Boolean> flags = own.submitted().stream().map(GridEvent::suspect).toList();
            assertThat(flags).as("trusted proxy: %s", trusted)
                    .containsExactlyElementsOf(trusted ? List.of(false, false, false) : List.of(false, true, true));
        }
    }

    @Test
    void rejectedClicksDoNotUseTheAllowance() {
        BeaconService service = service(1, false);
        for (int i = 0; i < 3; i++) {
            FullHttpRequest forged = get("/c", "f" + i);
            FullHttpRequest wrong = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, forged.uri().replace("p=3", "p=4"));
            assertThat(answer(service, wrong, ALICE).status().code()).isEqualTo(403);
        }

        answer(service, get("/c", "ok"), ALICE);

        assertThat(flagsOfSubmittedClicks()).containsExactly(false);
    }

    @Test
    void serverToServerClicksAreNotLimitedByThePeerAddress() {
        BeaconService service = service(1, false);
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            for (String type : List.of("impression", "click")) {
                Map<String, String> p = signed(EventType.parse(type).orElseThrow(), CAMPAIGN_1, beacon(7, 3, TS, "s" + i));
                body.append("{\"type\":\"").append(type).append('"');
                p.forEach((k, v) -> body.append(",\"").append(k).append("\":\"").append(v).append('"'));
                body.append("}\n");
            }
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        FullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/events", Unpooled.wrappedBuffer(bytes));
        post.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson");

        assertThat(answer(service, post, ALICE).status().code()).isEqualTo(200);

        assertThat(flagsOfSubmittedClicks()).containsExactly(false, false, false);
        assertThat(suspect("ip_rate")).isZero();
        assertThat(suspect("no_impression")).isZero();
    }

    @Test
    void anEventsAnswerCountsTheSuspectClicksAmongWhatItAccepted() {
        BeaconService service = service(100, false);
        StringBuilder body = new StringBuilder();
        for (String[] line : List.of(new String[] {"impression", "r1"}, new String[] {"click", "r1"}, new String[] {"click", "r2"})) {
            Map<String, String> p = signed(EventType.parse(line[0]).orElseThrow(), CAMPAIGN_1, beacon(7, 3, TS, line[1]));
            body.append("{\"type\":\"").append(line[0]).append('"');
            p.forEach((k, v) -> body.append(",\"").append(k).append("\":\"").append(v).append('"'));
            body.append("}\n");
        }
        FullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/events",
                Unpooled.wrappedBuffer(body.toString().getBytes(StandardCharsets.UTF_8)));
        post.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson");

        String json = answer(service, post, ALICE).content().toString(StandardCharsets.UTF_8);

        // r2's click has no impression before it: accepted, counted as a suspect click.
        assertThat(json).contains("\"accepted\":3", "\"duplicates\":0", "\"suspect_clicks\":1", "\"rejected\":0");
    }

    @Test
    void anImpressionUrlSentAsAClickIsRefusedAndCountsNothing() {
        BeaconService service = service(30, false);
        Map<String, String> impression = signed(EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, "shown"));
        answer(service, get("/i", impression), ALICE);

        FullHttpResponse click = answer(service, get("/c", impression), ALICE);

        assertThat(click.status().code()).isEqualTo(403);
        assertThat(click.content().toString(StandardCharsets.UTF_8)).contains("bad_signature");
        assertThat(sink.submitted()).extracting(GridEvent::type).containsExactly(EventType.IMPRESSION);
    }

    @Test
    void theClickOfTheImpressionsOwnRenderingIsClean() {
        BeaconService service = service(30, false);
        answer(service, get("/i", signed(EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, "own"))), ALICE);

        assertThat(answer(service, get("/c", signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "own"))), ALICE).status().code())
                .isEqualTo(302);

        assertThat(suspect("no_impression")).isZero();
        assertThat(suspect("unbound_type")).isZero();
        assertThat(clicksAccepted()).isEqualTo(1);
    }

    @Test
    void aLegacyKeysV1ClickIsCountedAsSuspectForUnboundTypeEvenAfterItsImpression() {
        BeaconService service = service(30, false);
        Map<String, String> v1 = signedV1(CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "legacy"));
        assertThat(answer(service, get("/i", v1), ALICE).status().code()).isEqualTo(200);

        FullHttpResponse click = answer(service, get("/c", v1), ALICE);

        assertThat(click.status().code()).isEqualTo(302);
        // a suspect click is redirected like any, with its id (whether its sale is billed is the campaign's pricing's business)
        assertThat(click.headers().get(HttpHeaderNames.LOCATION)).startsWith("https://example.com/landing/40?agclid=");
        assertThat(suspect("unbound_type")).isEqualTo(1);
        assertThat(suspect("no_impression")).isZero();
        assertThat(suspect("ip_rate")).isZero();
        assertThat(flagsOfSubmittedClicks()).containsExactly(true);
    }
}
