package io.adgrid.persister.writebehind;

import java.io.Serializable;
import java.util.Map;
import io.adgrid.grid.counters.RouteState;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;

/**
 * Reads, on the partition thread, how much one grid entry holds that PostgreSQL does not: its
 * unwritten counter keys (pending and sealed) and the event identities it remembers for dedup.
 * Read-only: it changes nothing and makes no backup operation.
 */
final class BacklogProbe implements EntryProcessor<Long, RouteState, long[]>, ReadOnly, Serializable {

    private static final long serialVersionUID = 1L;

    @Override
    public long[] process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        return state == null ? null : new long[] {state.pendingKeys(), state.rememberedNonces(), state.identityBytes()};
    }

    @Override
    public EntryProcessor<Long, RouteState, long[]> getBackupProcessor() {
        return null;
    }
}
