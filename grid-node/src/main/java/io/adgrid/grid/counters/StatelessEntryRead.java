package io.adgrid.grid.counters;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** A read of one counter entry that carries no state of its own: nothing to back up, nothing to serialize. */
abstract class StatelessEntryRead<R> implements EntryProcessor<Long, RouteState, R>, ReadOnly, IdentifiedDataSerializable {

    @Override
    public final EntryProcessor<Long, RouteState, R> getBackupProcessor() {
        return null;
    }

    @Override
    public final int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public final void writeData(ObjectDataOutput out) {
        // no state
    }

    @Override
    public final void readData(ObjectDataInput in) {
        // no state
    }
}
