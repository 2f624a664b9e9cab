package io.adgrid.gateway.beacon;

import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import io.adgrid.gateway.batching.EventSink;
import io.adgrid.gateway.fraud.ClickRateLimiter;
import io.adgrid.gateway.fraud.KnownRobots;
import io.adgrid.gateway.route.Route;
import io.adgrid.gateway.validation.BeaconValidator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The beacon endpoints of CONTRACT section 4, independent of sockets: a request and its
 * {@link Route} in, a future response out. Refuses what no endpoint should see (an undecodable
 * request, another HTTP version, a wrong method), hands the rest to its endpoint
 * ({@link PixelEndpoint} {@code /i} {@code /c}, {@link SaleEndpoint} {@code /s},
 * {@link EventsEndpoint} {@code /events}, {@link HealthEndpoint} {@code /healthz}), and times and
 * counts every answer ({@link GatewayMetrics}). The grid also calls a click suspect when it finds
 * no impression of the same rendering: it is answered like any click and counted as suspect.
 */
public final class BeaconService {

    private static final Logger log = LoggerFactory.getLogger(BeaconService.class);
    public static final int MAX_NDJSON_LINES = EventsEndpoint.MAX_LINES;

    private volatile boolean stopping;
    private final GatewayMetrics metrics;
    private final PixelEndpoint pixel;
    private final SaleEndpoint sale;
    private final EventsEndpoint events;
    private final HealthEndpoint health;

    /** Without a per-IP click limit, judging no User-Agent a robot's. */
    public BeaconService(BeaconValidator validator, EventSink sink, BooleanSupplier ready, MeterRegistry metrics) {
        this(validator, sink, ready, metrics, ClickRateLimiter.unlimited(), false);
    }

    /** Judging no User-Agent a robot's. */
    public BeaconService(BeaconValidator validator, EventSink sink, BooleanSupplier ready, MeterRegistry metrics,
                         ClickRateLimiter clickRate, boolean trustProxy) {
        this(validator, sink, ready, metrics, clickRate, trustProxy, KnownRobots.off());
    }

    /**
     * @param clickRate  clicks per client IP and minute beyond which clicks are suspect
     * @param trustProxy the gateway sits behind a proxy that appends the client's address to
     *                   {@code X-Forwarded-For}; otherwise that header is ignored
     * @param robots     judges the User-Agent of {@code /i} and {@code /c}: a known robot's beacons are invalid
     */
    public BeaconService(BeaconValidator validator, EventSink sink, BooleanSupplier ready, MeterRegistry metrics,
                         ClickRateLimiter clickRate, boolean trustProxy, KnownRobots robots) {
        this.metrics = new GatewayMetrics(metrics);
        CountingSink counted = new CountingSink(sink, this.metrics);
        this.pixel = new PixelEndpoint(validator, counted, this.metrics, clickRate, trustProxy, robots);
        this.sale = new SaleEndpoint(validator, counted, this.metrics);
        this.events = new EventsEndpoint(validator, sink, this.metrics);
        this.health = new HealthEndpoint(ready);
    }

    /** Never fails: grid trouble becomes a 503 with Retry-After, bad input its 4xx. */
    public CompletableFuture<FullHttpResponse> handle(FullHttpRequest request) {
        return handle(request, null);
    }

    /** A request whose route is not resolved yet (no aggregator before it). */
    public CompletableFuture<FullHttpResponse> handle(FullHttpRequest request, SocketAddress peer) {
        return handle(Route.of(request.uri()), request, peer);
    }

    /** From now on every request is answered 503 shutting_down with Connection: close (a graceful stop). */
    public void stopTaking() {
        stopping = true;
    }

    /** @param peer the client's socket address (null when unknown: no per-IP click limit applies) */
    public CompletableFuture<FullHttpResponse> handle(Route route, FullHttpRequest request, SocketAddress peer) {
        if (stopping) {
            // Requests still arriving on open keep-alive connections while the process stops (its catalog
            // and batcher close): refused before any of it is touched, and the connection closed.
            return done(HttpAnswers.shuttingDown());
        }
        long start = System.nanoTime();
        Timer timer = metrics.latency(route);
        CompletableFuture<FullHttpResponse> answer;
        try {
            answer = dispatch(route, request, peer);
        } catch (BadRequestException e) {
            metrics.count(route.typeTag(), e.rejection());
            answer = done(HttpAnswers.rejection(e.rejection()));
        } catch (RuntimeException e) {
            metrics.count(route.typeTag(), "error", "internal");
            log.error("unexpected error handling {} {}", request.method(), request.uri().length() > 200 ? request.uri().substring(0, 200) : request.uri(), e);
            answer = done(HttpAnswers.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, g -> g.writeStringField("error", "internal error")));
        }
        return answer.exceptionally(e -> {
            metrics.count(route.typeTag(), GridRefusals.unavailable(e));
            return GridRefusals.failure(e);
        }).whenComplete((r, e) -> timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
    }

    /**
     * The answer to a request the gateway does not handle because it is overloaded: 503 with
     * Retry-After, counted in {@code adgrid.gateway.events} as rejected, reason {@code overloaded}.
     * Cheap on purpose (it is what an overloaded gateway does most): one cached counter, a shared body.
     */
    public FullHttpResponse overloaded(Route route) {
        metrics.overloaded(route);
        return HttpAnswers.overloaded();
    }

    /** A refusal decided from a request's raw bytes (issue 23): counted as {@link #overloaded(Route)} is. */
    public void countOverloaded(Route route) {
        metrics.overloaded(route);
    }

    /** The most answers {@link #overloadedBytes} gives in one buffer. */
    public static final int OVERLOADED_BURST = HttpAnswers.OVERLOADED_BURST;

    /**
     * {@code copies} (1 to {@link #OVERLOADED_BURST}) answers of {@link #overloaded(Route)}, with
     * {@code Connection: keep-alive}, encoded once, back to back: a read-only view of one shared
     * buffer, written as it is (refusals decided from raw bytes; count each with {@link #countOverloaded}).
     */
    public static ByteBuf overloadedBytes(int copies) {
        return HttpAnswers.overloadedWires(copies);
    }

    /** What {@code /healthz} says when DOWN (why it is not ready); null says nothing more. */
    public BeaconService downReason(Supplier<String> why) {
        health.downReason(why);
        return this;
    }

    private CompletableFuture<FullHttpResponse> dispatch(Route route, FullHttpRequest request, SocketAddress peer) {
        if (!request.decoderResult().isSuccess()) {
            // Oversized or undecodable: answered with its precise status before anything is parsed.
            Throwable cause = request.decoderResult().cause();
            if (cause instanceof OverBudgetException) {
                FullHttpResponse busy = overloaded(route);
                busy.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                return done(busy);
            }
            FullHttpResponse answer = HttpAnswers.rejection(metrics.count(route.typeTag(), HttpRejections.undecodable(cause)));
            if (HttpRejections.closesConnection(cause)) {
                answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            return done(answer);
        }
        if (!HttpRejections.isSupported(request.protocolVersion())) {
            FullHttpResponse answer = HttpAnswers.rejection(metrics.count(route.typeTag(), HttpRejections.BAD_VERSION));
            answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return done(answer);
        }
        HttpMethod method = request.method();
        return switch (route) {
            case IMPRESSION -> method == HttpMethod.GET ? pixel.impression(request) : notAllowed(route, "GET");
            case CLICK -> method == HttpMethod.GET ? pixel.click(request, peer) : notAllowed(route, "GET");
            case SALE -> method == HttpMethod.POST ? sale.sale(request) : notAllowed(route, "POST");
            case EVENTS -> method == HttpMethod.POST ? events.events(request) : notAllowed(route, "POST");
            case HEALTH -> method == HttpMethod.GET || method == HttpMethod.HEAD ? done(health.health()) : notAllowed(route, "GET, HEAD");
            case UNKNOWN -> done(HttpAnswers.rejection(metrics.count(route.typeTag(), HttpRejections.NOT_FOUND)));
        };
    }

    private CompletableFuture<FullHttpResponse> notAllowed(Route route, String allow) {
        metrics.count(route.typeTag(), HttpRejections.METHOD_NOT_ALLOWED);
        return done(HttpAnswers.methodNotAllowed(allow));
    }

    private static CompletableFuture<FullHttpResponse> done(FullHttpResponse r) {
        return CompletableFuture.completedFuture(r);
    }
}
