package io.adgrid.grid.counters;

import java.util.Map;
import java.util.UUID;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Reads an entry's epoch, the life whose write-behind watermark it uses (which watermarks are still asked for). */
public final class EntryEpoch implements EntryProcessor<Long, RouteState, UUID>, ReadOnly, IdentifiedDataSerializable {

    @Override
    public UUID process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        return state == null ? null : state.epoch();
    }

    @Override
    public EntryProcessor<Long, RouteState, UUID> getBackupProcessor() {
        return null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.ENTRY_EPOCH;
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
