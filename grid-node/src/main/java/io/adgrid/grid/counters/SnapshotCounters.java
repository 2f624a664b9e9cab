package io.adgrid.grid.counters;

import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.MemorySnapshot;
import java.io.IOException;
import java.util.Map;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Reads the unpersisted counts a report asks for, on the partition thread so it never sees a half-applied batch. */
public final class SnapshotCounters
        implements EntryProcessor<Long, RouteState, MemorySnapshotData>, ReadOnly, IdentifiedDataSerializable {

    private CounterFilter filter;

    public SnapshotCounters() {
    }

    public SnapshotCounters(CounterFilter filter) {
        this.filter = filter;
    }

    @Override
    public MemorySnapshotData process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        return state == null ? null : MemorySnapshotData.of(state.snapshot(filter));
    }

    @Override
    public EntryProcessor<Long, RouteState, MemorySnapshotData> getBackupProcessor() {
        return null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.SNAPSHOT_COUNTERS;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        filter.writeTo(out);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        filter = CounterFilter.readFrom(in);
    }
}
