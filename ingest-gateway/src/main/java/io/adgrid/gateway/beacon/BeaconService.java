package io.adgrid.gateway.beacon;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import io.adgrid.event.EventType;
import io.adgrid.gateway.batching.EventSink;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.gateway.batching.GatedEventSink;
import io.adgrid.gateway.batching.OverloadedException;
import io.adgrid.gateway.fraud.ClickRateLimiter;
import io.adgrid.gateway.fraud.ClientAddress;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.Rejection;
import io.adgrid.gateway.validation.Validation;
import io.adgrid.grid.counters.GridEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The beacon endpoints of CONTRACT section 4, independent of sockets: a request in, a future
 * response out. Every outcome is counted in {@code adgrid.gateway.events} by type, outcome and
 * reason code; clicks counted as suspect also in {@code adgrid.gateway.suspect.clicks} by reason.
 *
 * <p>A click from a client (IP address) that made more than the limit of clicks this minute is
 * sent to the grid flagged suspect; the grid also calls a click suspect when it finds no impression
 * of the same rendering. Either way it is answered like any click (302) and counted once, in
 * {@code suspect_clicks} instead of {@code clicks}. Clicks posted to {@code /events} (server to
 * server: the peer is the ad server, not the user) are not rate-limited by IP.
 */
public final class BeaconService {

    private static final Logger log = LoggerFactory.getLogger(BeaconService.class);
    public static final int MAX_NDJSON_LINES = 10_000;
    /** Rejected lines listed in an /events answer; the rest are only counted. */
    static final int MAX_LISTED_ERRORS = 100;
    private static final String OVERLOADED = "overloaded";
    private static final String OVERLOADED_REASON = "gateway overloaded, retry later";

    private final BeaconValidator validator;
    private final EventSink sink;
    private final BooleanSupplier ready;
    private volatile Supplier<String> downReason = () -> null;
    private final MeterRegistry metrics;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencyTimers = new ConcurrentHashMap<>();
    private final Map<String, Counter> overloadedCounters = new ConcurrentHashMap<>();
    private final ClickRateLimiter clickRate;
    private final boolean trustProxy;
    private final Counter suspectNoImpression;
    private final Counter suspectIpRate;
    private final Counter suspectUnboundType;
    /** Accepted and duplicate events by type, resolved once: every event bumps one (P3 profile: 5 % of the CPU). */
    private final Counter[] accepted = new Counter[EventType.values().length];
    private final Counter[] duplicates = new Counter[EventType.values().length];

    /** Without a per-IP click limit. */
    public BeaconService(BeaconValidator validator, EventSink sink, BooleanSupplier ready, MeterRegistry metrics) {
        this(validator, sink, ready, metrics, ClickRateLimiter.unlimited(), false);
    }

    /**
     * @param clickRate  clicks per client IP and minute beyond which clicks are suspect
     * @param trustProxy the gateway sits behind a proxy that appends the client's address to
     *                   {@code X-Forwarded-For}; otherwise that header is ignored
     */
    public BeaconService(BeaconValidator validator, EventSink sink, BooleanSupplier ready, MeterRegistry metrics,
                         ClickRateLimiter clickRate, boolean trustProxy) {
        this.validator = validator;
        this.sink = sink;
        this.ready = ready;
        this.metrics = metrics;
        this.clickRate = clickRate;
        this.trustProxy = trustProxy;
        this.suspectNoImpression = suspectCounter("no_impression");
        this.suspectIpRate = suspectCounter("ip_rate");
        this.suspectUnboundType = suspectCounter("unbound_type");
        for (EventType type : EventType.values()) {
            accepted[type.ordinal()] = counter(type.name(), "accepted", "ok");
            duplicates[type.ordinal()] = counter(type.name(), "duplicate", "ok");
        }
    }

    private Counter suspectCounter(String reason) {
        return Counter.builder("adgrid.gateway.suspect.clicks")
                .description("Clicks answered and counted as suspect (not as clicks): no_impression = no impression of the same "
                        + "rendering was recorded before it; ip_rate = its client IP was over the clicks-per-minute limit; "
                        + "unbound_type = signed with a legacy key's v1 string, which does not bind the event type")
                .tag("reason", reason).register(metrics);
    }

    /** Never fails: grid trouble becomes a 503 with Retry-After, bad input its 4xx. */
    public CompletableFuture<FullHttpResponse> handle(FullHttpRequest request) {
        return handle(request, null);
    }

    /** @param peer the client's socket address (null when unknown: no per-IP click limit applies) */
    public CompletableFuture<FullHttpResponse> handle(FullHttpRequest request, SocketAddress peer) {
        long start = System.nanoTime();
        Timer timer = latency(request.uri());
        CompletableFuture<FullHttpResponse> answer;
        try {
            answer = route(request, peer);
        } catch (BadRequestException e) {
            count(typeOf(request.uri()), "rejected", e.rejection().code());
            answer = done(HttpAnswers.rejection(e.rejection()));
        } catch (RuntimeException e) {
            count(typeOf(request.uri()), "error", "internal");
            log.error("unexpected error handling {} {}", request.method(), request.uri().length() > 200 ? request.uri().substring(0, 200) : request.uri(), e);
            answer = done(HttpAnswers.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, g -> g.writeStringField("error", "internal error")));
        }
        return answer.exceptionally(e -> {
            Rejection r = unavailable(e);
            count(typeOf(request.uri()), "rejected", r.code());
            return failure(e);
        }).whenComplete((r, e) -> timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
    }

    /**
     * The answer to a request the gateway does not handle because it is overloaded: 503 with
     * Retry-After, counted in {@code adgrid.gateway.events} as rejected, reason {@code overloaded}.
     */
    public FullHttpResponse overloaded(FullHttpRequest request) {
        // Cheap on purpose (it is what an overloaded gateway does most): one cached counter, a shared body.
        overloadedCounters.computeIfAbsent(typeOf(request.uri()), type -> counter(type, "rejected", OVERLOADED)).increment();
        return HttpAnswers.overloaded();
    }

    private static String typeOf(String uri) {
        return isPath(uri, "/i") ? "IMPRESSION" : isPath(uri, "/c") ? "CLICK" : isPath(uri, "/s") ? "SALE" : "unknown";
    }

    /** {@code uri} is {@code path}, with or without a query. */
    private static boolean isPath(String uri, String path) {
        return uri.startsWith(path) && (uri.length() == path.length() || uri.charAt(path.length()) == '?');
    }

    /** One latency timer per endpoint; any other path shares "other" so a scanner cannot add tags. */
    private Timer latency(String uri) {
        String endpoint = uri.startsWith("/i?") ? "i" : uri.startsWith("/c?") ? "c" : uri.equals("/s") || uri.startsWith("/s?") ? "s"
                : uri.startsWith("/events") ? "events" : "other";
        return latencyTimers.computeIfAbsent(endpoint, e -> Timer.builder("adgrid.gateway.latency")
                .description("Time from a beacon request to its answer, grid confirmation included")
                .tag("endpoint", e).publishPercentileHistogram().register(metrics));
    }

    private CompletableFuture<FullHttpResponse> route(FullHttpRequest request, SocketAddress peer) {
        String uri = request.uri();
        if (!request.decoderResult().isSuccess()) {
            // Oversized or undecodable: answered with its precise status before anything is parsed.
            Throwable cause = request.decoderResult().cause();
            if (cause instanceof OverBudgetException) {
                FullHttpResponse busy = overloaded(request);
                busy.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                return done(busy);
            }
            FullHttpResponse answer = HttpAnswers.rejection(count(typeOf(uri), HttpRejections.undecodable(cause)));
            if (HttpRejections.closesConnection(cause)) {
                answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            return done(answer);
        }
        if (!HttpRejections.isSupported(request.protocolVersion())) {
            FullHttpResponse answer = HttpAnswers.rejection(count(typeOf(uri), HttpRejections.BAD_VERSION));
            answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return done(answer);
        }
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        HttpMethod method = request.method();
        return switch (path) {
            case "/i" -> method == HttpMethod.GET ? beacon(EventType.IMPRESSION, uri, ClientAddress.UNKNOWN) : notAllowed(uri, "GET");
            case "/c" -> method == HttpMethod.GET
                    ? beacon(EventType.CLICK, uri, ClientAddress.key(peer, request.headers().getAll("X-Forwarded-For"), trustProxy))
                    : notAllowed(uri, "GET");
            case "/s" -> method == HttpMethod.POST ? sale(request) : notAllowed(uri, "POST");
            case "/events" -> method == HttpMethod.POST ? events(request) : notAllowed(uri, "POST");
            case "/healthz" -> method == HttpMethod.GET || method == HttpMethod.HEAD ? done(health()) : notAllowed(uri, "GET, HEAD");
            default -> done(HttpAnswers.rejection(count("unknown", HttpRejections.NOT_FOUND)));
        };
    }

    private CompletableFuture<FullHttpResponse> notAllowed(String uri, String allow) {
        count(typeOf(uri), HttpRejections.METHOD_NOT_ALLOWED);
        return done(HttpAnswers.methodNotAllowed(allow));
    }

    private FullHttpResponse health() {
        boolean up = ready.getAsBoolean();
        String why = up ? null : downReason.get();
        return HttpAnswers.json(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, g -> {
            g.writeStringField("status", up ? "UP" : "DOWN");
            if (why != null) {
                g.writeStringField("reason", why);
            }
        });
    }

    /** What {@code /healthz} says when DOWN (why it is not ready); null says nothing more. */
    public BeaconService downReason(Supplier<String> why) {
        this.downReason = why;
        return this;
    }

    private CompletableFuture<FullHttpResponse> beacon(EventType type, String uri, long client) {
        Map<String, String> params = RequestParams.fromQuery(uri, true);
        Validation v = validator.validate(type, params);
        if (v instanceof Validation.Rejected r) {
            return done(reject(type, r.rejection()));
        }
        Validation.Accepted accepted = (Validation.Accepted) v;
        if (type == EventType.CLICK && !accepted.unboundType() && client != ClientAddress.UNKNOWN && clickRate.overLimit(client)) {
            accepted = new Validation.Accepted(accepted.event().asSuspect(), accepted.banner());
        }
        Validation.Accepted event = accepted;
        // A replay is answered like the original: the browser that reloads sees no error.
        return submit(event).thenApply(outcome -> outcome.refused() ? HttpAnswers.rejection(refusedByGrid(outcome))
                : type == EventType.CLICK ? HttpAnswers.redirect(event.banner().landingUrl())
                : HttpAnswers.pixel());
    }

    private CompletableFuture<FullHttpResponse> sale(FullHttpRequest request) {
        Map<String, String> params = saleParams(request);
        Validation v = validator.validate(EventType.SALE, params);
        if (v instanceof Validation.Rejected r) {
            return done(reject(EventType.SALE, r.rejection()));
        }
        return submit((Validation.Accepted) v).thenApply(outcome -> outcome.refused()
                ? HttpAnswers.rejection(refusedByGrid(outcome))
                : outcome == Outcome.DUPLICATE
                ? HttpAnswers.json(HttpResponseStatus.OK, g -> {
                    g.writeStringField("status", "duplicate");
                    g.writeBooleanField("duplicate", true);
                })
                : HttpAnswers.json(HttpResponseStatus.ACCEPTED, g -> {
                    g.writeStringField("status", "accepted");
                    g.writeBooleanField("duplicate", false);
                }));
    }

    /** Form or JSON body; or, with an empty body, the query string (what {@code ./adgrid sign s} prints). */
    private static Map<String, String> saleParams(FullHttpRequest request) {
        ByteBuf body = request.content();
        String query = new QueryStringDecoder(request.uri()).rawQuery();
        if (!body.isReadable()) {
            return RequestParams.fromQuery(query, false);
        }
        if (!query.isEmpty()) {
            throw new BadRequestException(Rejection.malformed("ambiguous_parameters", "send parameters in the body or the query string, not both"));
        }
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        byte[] bytes = ByteBufUtil.getBytes(body);
        if (type.startsWith("application/json")) {
            return RequestParams.fromJson(bytes, 0, bytes.length);
        }
        if (type.startsWith("application/x-www-form-urlencoded")) {
            return RequestParams.fromQuery(new String(bytes, StandardCharsets.UTF_8), false);
        }
        throw new BadRequestException(new Rejection(415, "unsupported_media_type", "use application/x-www-form-urlencoded or application/json"));
    }

    /** A refused /events line. */
    private record LineError(int line, Rejection rejection) {
    }

    /**
     * Validates every line, then hands the accepted events to the grid in one {@link EventSink#submitAll}:
     * one future for the request, not one per line.
     */
    private CompletableFuture<FullHttpResponse> events(FullHttpRequest request) {
        byte[] body = ByteBufUtil.getBytes(request.content());
        // Count lines before submitting any: a 413 must not leave the first lines counted.
        int lines = lineCount(body);
        if (lines > MAX_NDJSON_LINES) {
            return done(HttpAnswers.rejection(count("unknown", HttpRejections.TOO_MANY_LINES)));
        }
        List<LineError> refused = new ArrayList<>();
        List<GridEvent> events = new ArrayList<>();
        BitSet unboundType = new BitSet();
        int[] eventLines = new int[lines];
        int line = 0;
        int start = 0;
        while (start < body.length) {
            int end = start;
            while (end < body.length && body[end] != '\n') {
                end++;
            }
            line++;
            int len = end - start;
            if (len > 0 && body[end - 1] == '\r') {
                len--;
            }
            if (len > 0) {
                Validation verdict = eventLine(body, start, len);
                if (verdict instanceof Validation.Accepted a) {
                    unboundType.set(events.size(), a.unboundType());
                    eventLines[events.size()] = line;
                    events.add(a.event());
                } else {
                    refused.add(new LineError(line, ((Validation.Rejected) verdict).rejection()));
                }
            }
            start = end + 1;
        }
        return sink.submitAll(events).handle((outcomes, error) -> eventsAnswer(refused, events, unboundType, eventLines, outcomes, error));
    }

    /** The /events answer: counts, and the first refused lines in line order (all accepted lines too when the grid failed). */
    private FullHttpResponse eventsAnswer(List<LineError> refused, List<GridEvent> events, BitSet unboundType, int[] eventLines,
                                          Outcome[] outcomes, Throwable error) {
        int duplicates = 0;
        int suspect = 0;
        int refusedByGrid = 0;
        List<LineError> errors;
        if (error == null) {
            List<LineError> all = refused;
            for (int i = 0; i < outcomes.length; i++) {
                countOutcome(events.get(i), outcomes[i], unboundType.get(i));
                if (outcomes[i] == Outcome.DUPLICATE) {
                    duplicates++;
                } else if (outcomes[i] == Outcome.SUSPECT) {
                    suspect++;
                } else if (outcomes[i].refused()) {
                    if (refusedByGrid++ == 0) {
                        all = new ArrayList<>(refused);
                    }
                    all.add(new LineError(eventLines[i], refusedByGrid(outcomes[i])));
                }
            }
            if (refusedByGrid > 0) {
                all.sort(java.util.Comparator.comparingInt(LineError::line));
            }
            errors = all.subList(0, Math.min(all.size(), MAX_LISTED_ERRORS));
        } else {
            Rejection failed = unavailable(error);
            events.forEach(e -> count(e.type().name(), failed));
            errors = mergeByLine(refused, eventLines, events.size(), failed);
        }
        int accepted = error == null ? events.size() - refusedByGrid : 0;
        int rejected = refused.size() + events.size() - accepted;
        int d = duplicates;
        int sc = suspect;
        return HttpAnswers.json(HttpResponseStatus.OK, g -> {
            g.writeNumberField("accepted", accepted);
            g.writeNumberField("duplicates", d);
            g.writeNumberField("suspect_clicks", sc);
            g.writeNumberField("rejected", rejected);
            g.writeArrayFieldStart("errors");
            for (LineError r : errors) {
                g.writeStartObject();
                g.writeNumberField("line", r.line());
                g.writeNumberField("status", r.rejection().status());
                g.writeStringField("error", r.rejection().code());
                g.writeStringField("reason", r.rejection().reason());
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    /** The first {@link #MAX_LISTED_ERRORS} of the refused lines and the failed event lines, in line order. */
    private static List<LineError> mergeByLine(List<LineError> refused, int[] eventLines, int eventCount, Rejection failed) {
        List<LineError> out = new ArrayList<>();
        int r = 0;
        int e = 0;
        while (out.size() < MAX_LISTED_ERRORS && (r < refused.size() || e < eventCount)) {
            if (e == eventCount || (r < refused.size() && refused.get(r).line() < eventLines[e])) {
                out.add(refused.get(r++));
            } else {
                out.add(new LineError(eventLines[e++], failed));
            }
        }
        return out;
    }

    /** Lines as the loop in {@link #events} numbers them: one per '\n', plus a last one without it. */
    private static int lineCount(byte[] body) {
        int lines = 0;
        for (byte b : body) {
            if (b == '\n') {
                lines++;
            }
        }
        return body.length > 0 && body[body.length - 1] != '\n' ? lines + 1 : lines;
    }

    /** An /events line's verdict; a rejection is counted here. */
    private Validation eventLine(byte[] body, int offset, int length) {
        EventType type = null;
        try {
            Map<String, String> params = RequestParams.fromJson(body, offset, length);
            type = EventType.parse(params.remove("type")).orElse(null);
            if (type == null) {
                return new Validation.Rejected(count("unknown", Rejection.malformed("bad_type", "type must be impression, click or sale")));
            }
            Validation v = validator.validate(type, params);
            if (v instanceof Validation.Rejected r) {
                count(type.name(), r.rejection());
            }
            return v;
        } catch (BadRequestException e) {
            return new Validation.Rejected(count(type == null ? "unknown" : type.name(), e.rejection()));
        }
    }

    private CompletableFuture<Outcome> submit(Validation.Accepted accepted) {
        GridEvent event = accepted.event();
        return sink.submit(event).whenComplete((outcome, error) -> {
            if (error == null) {
                countOutcome(event, outcome, accepted.unboundType());
            }
        });
    }

    /** A suspect click is accepted (counted once, as suspect): it also counts in adgrid.gateway.suspect.clicks. */
    private void countOutcome(GridEvent event, Outcome outcome, boolean unboundType) {
        if (outcome.refused()) {
            count(event.type().name(), refusedByGrid(outcome));
            return;
        }
        (outcome == Outcome.DUPLICATE ? duplicates : accepted)[event.type().ordinal()].increment();
        if (outcome == Outcome.SUSPECT) {
            (unboundType ? suspectUnboundType : event.suspect() ? suspectIpRate : suspectNoImpression).increment();
        }
    }

    /** The 422 for an event the grid refused: older than the members can deduplicate, or past its key's revenue bound. */
    private static Rejection refusedByGrid(Outcome outcome) {
        return outcome == Outcome.OVER_KEY_LIMIT ? Rejection.KEY_REVENUE_LIMIT : Rejection.TS_TOO_OLD;
    }

    private static Rejection unavailable(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof OverloadedException) {
            return new Rejection(503, OVERLOADED, OVERLOADED_REASON);
        }
        if (cause instanceof GatedEventSink.GridRecoveringException || GatedEventSink.refusedByRecovery(cause)) {
            return new Rejection(503, "recovering", "grid recovering after a restart, retry later");
        }
        return new Rejection(503, "grid_unavailable", "grid unavailable, retry later");
    }

    /** Turns a failed submit into a 503 with Retry-After: the client retries and the grid deduplicates. */
    static FullHttpResponse failure(Throwable e) {
        Rejection r = unavailable(e);
        if (!OVERLOADED.equals(r.code()) && !"recovering".equals(r.code())) {
            log.warn("answering 503: {}", e.toString());
        }
        return switch (r.code()) {
            case OVERLOADED -> HttpAnswers.overloaded();
            case "recovering" -> HttpAnswers.retryLater("recovering", r.reason());
            default -> HttpAnswers.retryLater(OVERLOADED, r.reason());
        };
    }

    private FullHttpResponse reject(EventType type, Rejection rejection) {
        count(type.name(), rejection);
        return HttpAnswers.rejection(rejection);
    }

    private Rejection count(String type, Rejection rejection) {
        count(type, "rejected", rejection.code());
        return rejection;
    }

    private void count(String type, String outcome, String reason) {
        counter(type, outcome, reason).increment();
    }

    private Counter counter(String type, String outcome, String reason) {
        return counters.computeIfAbsent(type + '|' + outcome + '|' + reason, k -> register(type, outcome, reason));
    }

    private Counter register(String type, String outcome, String reason) {
        return Counter.builder("adgrid.gateway.events")
                .description("Beacon events by type, outcome (accepted, duplicate, rejected) and reason")
                .tag("type", type.toLowerCase(Locale.ROOT)).tag("outcome", outcome).tag("reason", reason)
                .register(metrics);
    }

    private static CompletableFuture<FullHttpResponse> done(FullHttpResponse r) {
        return CompletableFuture.completedFuture(r);
    }
}
