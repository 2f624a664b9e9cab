package io.adgrid.grid.port;

/**
 * A failure of a {@link CounterGrid} call that the grid refused before applying anything: the
 * events in it were not counted, so the caller may answer them as refused rather than as "may have
 * counted". Found anywhere in a failure's cause chain.
 */
public interface GridRefusal {

    /** Whether the grid refuses counting until a dead grid life's journals are replayed (the gateway answers 503 recovering). */
    default boolean untilReplayed() {
        return false;
    }
}
