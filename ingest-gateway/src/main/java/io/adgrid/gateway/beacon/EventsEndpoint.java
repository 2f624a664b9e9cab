package io.adgrid.gateway.beacon;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import io.adgrid.catalog.SenderKey;
import io.adgrid.event.EventType;
import io.adgrid.gateway.batching.EventSink;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.route.Route;
import io.adgrid.gateway.validation.Rejection;
import io.adgrid.gateway.validation.SignedRequests;
import io.adgrid.gateway.validation.Validation;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.signing.RequestSignature;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code POST /events}: NDJSON, one beacon per line (server to server: the peer is the ad server,
 * not the user, so clicks here are not rate-limited by IP). Every line is validated, then the
 * accepted ones go to the grid in one {@link EventSink#submitAll}; the answer counts them and lists
 * the first refused lines.
 *
 * <p>A body may instead be signed whole (issue 23): {@code X-AdGrid-Signature: kid=…, ts=…, sig=…}
 * ({@link SignedRequests}). Its lines then carry no {@code sig}; each is still validated and counted
 * once by rendering, and a line of a campaign the sender key does not list is refused on its own.
 * The same signed request again is refused whole (409, {@link RequestReplays}).
 */
final class EventsEndpoint {

    static final int MAX_LINES = 10_000;
    /** Rejected lines listed in an answer; the rest are only counted. */
    static final int MAX_LISTED_ERRORS = 100;

    private final BeaconValidator validator;
    private final EventSink sink;
    private final GatewayMetrics metrics;
    private final RequestReplays replays = new RequestReplays();

    /** The same signed request again (issue 23): it was answered, with every line's verdict, when it was first taken. */
    static final Rejection REPLAYED_REQUEST = new Rejection(409, "replayed_request",
            "this signed request (kid, ts, body) was already taken and answered; to send its lines again sign them again "
                    + "with a new ts (a line counted before is answered as a duplicate)");

    EventsEndpoint(BeaconValidator validator, EventSink sink, GatewayMetrics metrics) {
        this.validator = validator;
        this.sink = sink;
        this.metrics = metrics;
    }

    /** A refused line. */
    private record LineError(int line, Rejection rejection) {
    }

    /** Validates every line, then submits the accepted events at once: one future for the request, not one per line. */
    CompletableFuture<FullHttpResponse> events(FullHttpRequest request) {
        byte[] body = ByteBufUtil.getBytes(request.content());
        // Count lines before submitting any: a 413 must not leave the first lines counted.
        int lines = lineCount(body);
        if (lines > MAX_LINES) {
            return CompletableFuture.completedFuture(HttpAnswers.rejection(metrics.count("unknown", HttpRejections.TOO_MANY_LINES)));
        }
        List<String> signature = request.headers().getAll(RequestSignature.HEADER);
        if (signature.isEmpty()) {
            return events(body, lines, null, null);
        }
        SignedRequests requests = validator.requests();
        SignedRequests.Verdict verdict = requests.check("POST", Route.EVENTS.path(), signature, body, 0, body.length);
        if (verdict instanceof SignedRequests.Refused r) {
            metrics.count("unknown", r.rejection());
            return CompletableFuture.completedFuture(r.rejection().status() == 503
                    ? HttpAnswers.retryLater(r.rejection().code(), r.rejection().reason()) : HttpAnswers.rejection(r.rejection()));
        }
        SignedRequests.Signed signed = (SignedRequests.Signed) verdict;
        String key = RequestReplays.key(signed.key().kid(), signed.header().sig());
        if (!replays.claim(key, requests.windowEndMillis(signed.header().ts()), requests.now())) {
            return CompletableFuture.completedFuture(HttpAnswers.rejection(metrics.count("unknown", REPLAYED_REQUEST)));
        }
        return events(body, lines, signed.key(), key);
    }

    /**
     * The lines of a body, each signed on its own ({@code sender} null) or vouched for by the request's
     * signature; a request-signed body whose events the grid could not take is forgotten by the replay
     * guard, so that the sender may send it again as it is.
     */
    private CompletableFuture<FullHttpResponse> events(byte[] body, int lines, SenderKey sender, String replayKey) {
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
                Validation verdict = eventLine(body, start, len, sender);
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
        return sink.submitAll(events).handle((outcomes, error) -> {
            if (error != null && replayKey != null) {
                replays.release(replayKey);
            }
            return answer(refused, events, unboundType, eventLines, outcomes, error);
        });
    }

    /** The answer: counts, and the first refused lines in line order (all accepted lines too when the grid failed). */
    private FullHttpResponse answer(List<LineError> refused, List<GridEvent> events, BitSet unboundType, int[] eventLines,
                                    Outcome[] outcomes, Throwable error) {
        int duplicates = 0;
        int suspect = 0;
        int refusedByGrid = 0;
        List<LineError> errors;
        if (error == null) {
            List<LineError> all = refused;
            for (int i = 0; i < outcomes.length; i++) {
                metrics.outcome(events.get(i), outcomes[i], unboundType.get(i));
                if (outcomes[i] == Outcome.DUPLICATE) {
                    duplicates++;
                } else if (outcomes[i] == Outcome.SUSPECT) {
                    suspect++;
                } else if (outcomes[i].refused()) {
                    if (refusedByGrid++ == 0) {
                        all = new ArrayList<>(refused);
                    }
                    all.add(new LineError(eventLines[i], GridRefusals.refusedByGrid(outcomes[i])));
                }
            }
            if (refusedByGrid > 0) {
                all.sort(Comparator.comparingInt(LineError::line));
            }
            errors = all.subList(0, Math.min(all.size(), MAX_LISTED_ERRORS));
        } else {
            Rejection failed = GridRefusals.unavailable(error);
            events.forEach(e -> metrics.count(e.type().name(), failed));
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

    /** A line's verdict; a rejection is counted here. */
    private Validation eventLine(byte[] body, int offset, int length, SenderKey sender) {
        EventType type = null;
        try {
            Map<String, String> params = RequestParams.fromJson(body, offset, length);
            type = EventType.parse(params.remove("type")).orElse(null);
            if (type == null) {
                return new Validation.Rejected(metrics.count("unknown", Rejection.malformed("bad_type", "type must be impression, click or sale")));
            }
            Validation v = validator.validate(type, params, sender);
            if (v instanceof Validation.Rejected r) {
                metrics.count(type.name(), r.rejection());
            }
            return v;
        } catch (BadRequestException e) {
            return new Validation.Rejected(metrics.count(type == null ? "unknown" : type.name(), e.rejection()));
        }
    }
}
