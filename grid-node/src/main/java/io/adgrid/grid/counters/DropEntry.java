package io.adgrid.grid.counters;

import java.util.Map;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Removes a counter entry, on its owner and its backups; answers true when there was one. Only for a
 * partition recorded lost: what it still holds is a leftover of an older replica set (its history is
 * in the journals), and counting on it would reuse epoch and sequence numbers PostgreSQL already holds
 * from the line that went on.
 */
public final class DropEntry implements EntryProcessor<Long, RouteState, Boolean>, IdentifiedDataSerializable {

    @Override
    public Boolean process(Map.Entry<Long, RouteState> entry) {
        boolean held = entry.getValue() != null;
        entry.setValue(null);
        return held ? Boolean.TRUE : null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.DROP_ENTRY;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // no state
    }

    @Override
    public void readData(ObjectDataInput in) {
        // no state
    }
}
