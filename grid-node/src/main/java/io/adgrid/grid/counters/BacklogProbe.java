package io.adgrid.grid.counters;

import java.util.Map;

/**
 * Reads, on the partition thread, how much one grid entry holds that PostgreSQL does not: its
 * unwritten counter keys (pending and sealed) and the event identities it remembers for dedup.
 * Read-only: it changes nothing and makes no backup operation.
 */
public final class BacklogProbe extends StatelessEntryRead<long[]> {

    @Override
    public long[] process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        return state == null ? null : new long[] {state.pendingKeys(), state.rememberedNonces(), state.identityBytes()};
    }

    @Override
    public int getClassId() {
        return GridSerialization.BACKLOG_PROBE;
    }
}
