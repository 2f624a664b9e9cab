package io.adgrid.grid.counters;

import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.Watermark;

/**
 * What one replica of a grid entry has counted, for the batch-call benchmark's exactness check
 * (in this package for {@link RouteState#snapshot}, which is package-private). Read it on the
 * entry's partition thread: the state is updated in place there.
 */
public final class ReplicaCounts {

    /** Index in the totals: beacons counted (impressions, clicks and suspect clicks). */
    public static final int BEACONS = 0;
    /** Index in the totals: sales counted. */
    public static final int SALES = 1;

    private ReplicaCounts() {
    }

    /** Adds the entry's unpersisted counts (all of them: nothing is sealed or written in the benchmark) to {@code totals}. */
    public static void addTo(RouteState state, long[] totals) {
        if (state == null) {
            return;
        }
        MemorySnapshot snapshot = state.snapshot(CounterFilter.all());
        if (snapshot == null) {
            return;
        }
        for (Counts c : snapshot.unpersisted(Watermark.NONE).asMap().values()) {
            totals[BEACONS] += c.impressions + c.clicks + c.suspectClicks;
            totals[SALES] += c.conversions;
        }
    }
}
