package io.adgrid.gateway.batching;

import java.util.concurrent.CompletableFuture;
import io.adgrid.grid.counters.GridEvent;

/** Where accepted events go. Completes when the event is safely in the grid (and its backup). */
public interface EventSink {

    /** The grid's verdict on an event: counted, a replay (not counted again), or counted as a suspect click. */
    enum Outcome { COUNTED, DUPLICATE, SUSPECT }

    /**
     * @return completes with the outcome, or exceptionally with {@link OverloadedException} when
     *         the sink cannot take more now, or another exception when the grid could not be reached
     */
    CompletableFuture<Outcome> submit(GridEvent event);
}
