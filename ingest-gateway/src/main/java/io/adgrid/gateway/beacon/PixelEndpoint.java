package io.adgrid.gateway.beacon;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import io.adgrid.event.EventType;
import io.adgrid.gateway.batching.EventSink;
import io.adgrid.gateway.fraud.ClickRateLimiter;
import io.adgrid.gateway.fraud.ClientAddress;
import io.adgrid.gateway.fraud.KnownRobots;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.Validation;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;

/**
 * {@code GET /i} and {@code GET /c}: a signed beacon in the query string, answered with the pixel
 * or with a redirect to the banner's landing page, which gets the click's id (issue 21). A click from a client (IP address) that made
 * more than the limit of clicks this minute is sent to the grid flagged suspect; it is answered
 * like any click (302) and counted once, in {@code suspect_clicks} instead of {@code clicks}. A
 * beacon whose User-Agent is a known robot's is answered alike and counted once, in {@code invalid}.
 */
final class PixelEndpoint {

    private final BeaconValidator validator;
    private final CountingSink sink;
    private final GatewayMetrics metrics;
    private final ClickRateLimiter clickRate;
    private final boolean trustProxy;
    private final KnownRobots robots;

    PixelEndpoint(BeaconValidator validator, CountingSink sink, GatewayMetrics metrics, ClickRateLimiter clickRate, boolean trustProxy,
                  KnownRobots robots) {
        this.validator = validator;
        this.sink = sink;
        this.metrics = metrics;
        this.clickRate = clickRate;
        this.trustProxy = trustProxy;
        this.robots = robots;
    }

    CompletableFuture<FullHttpResponse> impression(FullHttpRequest request) {
        return beacon(EventType.IMPRESSION, request, ClientAddress.UNKNOWN);
    }

    /** @param peer the client's socket address (null when unknown: no per-IP click limit applies) */
    CompletableFuture<FullHttpResponse> click(FullHttpRequest request, SocketAddress peer) {
        return beacon(EventType.CLICK, request, ClientAddress.key(peer, request.headers().getAll("X-Forwarded-For"), trustProxy));
    }

    private CompletableFuture<FullHttpResponse> beacon(EventType type, FullHttpRequest request, long client) {
        Map<String, String> params = RequestParams.fromQuery(request.uri(), true);
        Validation v = validator.validate(type, params);
        if (v instanceof Validation.Rejected r) {
            return CompletableFuture.completedFuture(HttpAnswers.rejection(metrics.count(type.name(), r.rejection())));
        }
        Validation.Accepted accepted = (Validation.Accepted) v;
        if (type == EventType.CLICK && !accepted.unboundType() && client != ClientAddress.UNKNOWN && clickRate.overLimit(client)) {
            accepted = accepted.asSuspect();
        }
        Validation.Accepted valid = accepted;
        return robots.judge(request.headers().get(HttpHeaderNames.USER_AGENT)).thenCompose(judgement -> {
            Validation.Accepted event = judgement.robot() ? valid.asInvalid() : valid;
            // A replay is answered like the original: the browser that reloads sees no error.
            return sink.submit(event).thenApply(outcome -> {
                if (judgement.robot() && !outcome.refused() && outcome != EventSink.Outcome.DUPLICATE) {
                    metrics.invalid(judgement.reason());
                }
                return outcome.refused() ? HttpAnswers.rejection(GridRefusals.refusedByGrid(outcome))
                        : type == EventType.CLICK ? HttpAnswers.redirect(Landing.withClickId(event.banner().landingUrl(), event.clickParam(),
                        event.clickId()))
                        : HttpAnswers.pixel();
            });
        });
    }
}
