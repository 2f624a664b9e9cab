package io.adgrid.gateway.batching;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import io.adgrid.grid.port.GridEvent;

/** Where accepted events go. Completes when the event is safely in the grid (and its backup). */
public interface EventSink {

    /**
     * The grid's verdict on an event: counted, a replay (not counted again), counted as a suspect
     * click, or refused and not counted: older than the members can still deduplicate
     * ({@code TOO_OLD}), or past its counter key's revenue bound ({@code OVER_KEY_LIMIT}).
     */
    enum Outcome {
        COUNTED, DUPLICATE, SUSPECT, TOO_OLD, OVER_KEY_LIMIT;

        /** Refused by the grid: answered 422, never counted. */
        public boolean refused() {
            return this == TOO_OLD || this == OVER_KEY_LIMIT;
        }
    }

    /**
     * @return completes with the outcome, or exceptionally with {@link OverloadedException} when
     *         the sink cannot take more now, or another exception when the grid could not be reached
     */
    CompletableFuture<Outcome> submit(GridEvent event);

    /**
     * Several events answered together: the outcomes in the order of {@code events}, or one failure
     * for all of them (some may have been counted; a client's retry is deduplicated). This default
     * submits them one by one; a batching sink keeps them together and completes one future.
     */
    @SuppressWarnings("unchecked")
    default CompletableFuture<Outcome[]> submitAll(List<GridEvent> events) {
        CompletableFuture<Outcome>[] each = events.stream().map(this::submit).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(each).thenApply(v -> {
            Outcome[] outcomes = new Outcome[each.length];
            for (int i = 0; i < each.length; i++) {
                outcomes[i] = each[i].join();
            }
            return outcomes;
        });
    }
}
