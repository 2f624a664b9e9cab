package io.adgrid.gateway.beacon;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import io.adgrid.event.EventType;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.fraud.ClickRateLimiter;
import io.adgrid.gateway.fraud.KnownRobots;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.port.GridEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Beacons of known robots at the gateway (issue 21): answered like any beacon (a crawler that follows
 * a pixel or a click sees nothing different), handed to the grid flagged invalid, and counted by
 * reason in {@code adgrid.gateway.invalid.events}, once however often replayed.
 */
class KnownRobotBeaconTest {

    private static final long TS = NOW - 5_000;
    private static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    private static final String FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private final InMemorySink sink = new InMemorySink();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final KnownRobots robots = KnownRobots.detecting(100, 100);
    private final BeaconService service = new BeaconService(
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true, metrics,
            ClickRateLimiter.unlimited(), false, robots);

    @AfterEach
    void close() {
        robots.close();
    }

    private static FullHttpRequest get(String path, String nonce, String userAgent) {
        Map<String, String> params = signed(path.equals("/c") ? EventType.CLICK : EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, nonce));
        String query = params.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path + "?" + query);
        if (userAgent != null) {
            request.headers().set(HttpHeaderNames.USER_AGENT, userAgent);
        }
        return request;
    }

    private FullHttpResponse answer(FullHttpRequest request) {
        return service.handle(request, null).join();
    }

    private double invalid(String reason) {
        Counter c = metrics.find("adgrid.gateway.invalid.events").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aCrawlersImpressionAndClickAreAnsweredAsUsualAndGoToTheGridInvalidOnce() {
        assertThat(answer(get("/i", "n1", GOOGLEBOT)).status().code()).isEqualTo(200);
        assertThat(answer(get("/i", "n1", GOOGLEBOT)).status().code()).isEqualTo(200);
        FullHttpResponse click = answer(get("/c", "n1", GOOGLEBOT));

        assertThat(click.status().code()).isEqualTo(302);
        assertThat(click.headers().get(HttpHeaderNames.LOCATION)).startsWith("https://");
        assertThat(sink.submitted()).hasSize(3).allMatch(GridEvent::invalid);
        assertThat(invalid("robot")).isEqualTo(2);
    }

    @Test
    void aBrowsersBeaconsAndOnesWithoutAUserAgentAreNotInvalid() {
        answer(get("/i", "n2", FIREFOX));
        answer(get("/c", "n2", FIREFOX));
        answer(get("/i", "n3", null));

        assertThat(sink.submitted()).hasSize(3).noneMatch(GridEvent::invalid);
        assertThat(metrics.find("adgrid.gateway.invalid.events").counters()).isEmpty();
    }

    @Test
    void aBadSignatureIsRefusedBeforeAnyJudgement() {
        FullHttpRequest forged = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/i?b=7&p=3&ts=" + TS + "&n=x&sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        forged.headers().set(HttpHeaderNames.USER_AGENT, GOOGLEBOT);

        assertThat(answer(forged).status().code()).isEqualTo(403);
        assertThat(sink.submitted()).isEmpty();
    }
}
