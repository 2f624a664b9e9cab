package io.adgrid.gateway.beacon;

import java.util.concurrent.CompletionException;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.gateway.batching.GatedEventSink;
import io.adgrid.gateway.batching.OutcomeUnknownException;
import io.adgrid.gateway.batching.OverloadedException;
import io.adgrid.gateway.validation.Rejection;
import io.netty.handler.codec.http.FullHttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The answers when the grid did not take an event: refused it (422), or could not be asked (503 with Retry-After). */
final class GridRefusals {

    private static final Logger log = LoggerFactory.getLogger(GridRefusals.class);
    private static final String OVERLOADED_REASON = "gateway overloaded, retry later";
    /** The 503 of a request given up after a grid call whose outcome is unknown: unlike the others, it may have been counted. */
    static final String OUTCOME_UNKNOWN = "outcome_unknown";

    private GridRefusals() {
    }

    /** The 422 for an event the grid refused: older than the members can deduplicate, or past its key's revenue bound. */
    static Rejection refusedByGrid(Outcome outcome) {
        return outcome == Outcome.OVER_KEY_LIMIT ? Rejection.KEY_REVENUE_LIMIT : Rejection.TS_TOO_OLD;
    }

    /** Why a submit failed, as the 503 it is answered with. */
    static Rejection unavailable(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof OverloadedException) {
            return new Rejection(503, GatewayMetrics.OVERLOADED, OVERLOADED_REASON);
        }
        if (cause instanceof OutcomeUnknownException) {
            return new Rejection(503, OUTCOME_UNKNOWN, "the grid may have counted it: retry, a replay of a counted event is answered as a duplicate");
        }
        if (cause instanceof GatedEventSink.GridRecoveringException || GatedEventSink.refusedByRecovery(cause)) {
            return new Rejection(503, "recovering", "grid recovering after a restart, retry later");
        }
        return new Rejection(503, "grid_unavailable", "grid unavailable, retry later");
    }

    /** Turns a failed submit into a 503 with Retry-After: the client retries and the grid deduplicates. */
    static FullHttpResponse failure(Throwable e) {
        Rejection r = unavailable(e);
        if (!GatewayMetrics.OVERLOADED.equals(r.code()) && !"recovering".equals(r.code())) {
            log.warn("answering 503: {}", e.toString());
        }
        return switch (r.code()) {
            case GatewayMetrics.OVERLOADED -> HttpAnswers.overloaded();
            case "recovering", OUTCOME_UNKNOWN -> HttpAnswers.retryLater(r.code(), r.reason());
            default -> HttpAnswers.retryLater(GatewayMetrics.OVERLOADED, r.reason());
        };
    }
}
