package io.adgrid.gateway.batching;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.GridRefusal;

/**
 * Takes events only while {@code open}: closed while the grid replays the journals of a dead life,
 * when counting a retried beacon now would count it a second time once its journal is replayed.
 */
public final class GatedEventSink implements EventSink {

    /** The gate is closed: the client should retry shortly. */
    public static final class GridRecoveringException extends RuntimeException {
        public GridRecoveringException() {
            super("the grid is replaying the journals of its previous life", null, false, false);
        }
    }

    /** Whether a member refused the batch because the grid still replays a dead life's journals (issue 17.2). */
    public static boolean refusedByRecovery(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof GridRefusal r && r.untilReplayed()) {
                return true;
            }
        }
        return false;
    }

    private final EventSink sink;
    private final BooleanSupplier open;

    public GatedEventSink(EventSink sink, BooleanSupplier open) {
        this.sink = sink;
        this.open = open;
    }

    @Override
    public CompletableFuture<Outcome> submit(GridEvent event) {
        return open.getAsBoolean() ? sink.submit(event) : CompletableFuture.failedFuture(new GridRecoveringException());
    }

    @Override
    public CompletableFuture<Outcome[]> submitAll(List<GridEvent> events) {
        return open.getAsBoolean() ? sink.submitAll(events) : CompletableFuture.failedFuture(new GridRecoveringException());
    }
}
