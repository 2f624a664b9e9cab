package io.adgrid.grid.counters;

import java.util.Map;
import java.util.UUID;

/** Reads an entry's epoch, the life whose write-behind watermark it uses (which watermarks are still asked for). */
public final class EntryEpoch extends StatelessEntryRead<UUID> {

    @Override
    public UUID process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        return state == null ? null : state.epoch();
    }

    @Override
    public int getClassId() {
        return GridSerialization.ENTRY_EPOCH;
    }
}
