package io.adgrid.grid.counters;

import java.io.IOException;
import io.adgrid.grid.port.MemorySnapshot;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * A {@link MemorySnapshot} as the grid answers it, under the class id it has always had: members of two versions
 * understand each other during a rolling restart, and the port's value type needs no Hazelcast.
 */
public final class MemorySnapshotData extends MemorySnapshot implements IdentifiedDataSerializable {

    public MemorySnapshotData() {
    }

    private MemorySnapshotData(MemorySnapshot value) {
        super(value);
    }

    /** {@code value} in its wire form; null for null (an entry that holds nothing answers nothing). */
    public static MemorySnapshotData of(MemorySnapshot value) {
        return value == null ? null : new MemorySnapshotData(value);
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.MEMORY_SNAPSHOT;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        writeTo(out);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        readFields(in);
    }
}
