package io.adgrid.grid.counters;

import java.io.IOException;
import io.adgrid.grid.port.SealedBatch;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * A {@link SealedBatch} as the grid answers it, under the class id it has always had: members of two versions
 * understand each other during a rolling restart, and the port's value type needs no Hazelcast.
 */
public final class SealedBatchData extends SealedBatch implements IdentifiedDataSerializable {

    public SealedBatchData() {
    }

    private SealedBatchData(SealedBatch value) {
        super(value);
    }

    /** {@code value} in its wire form; null for null (an entry that holds nothing answers nothing). */
    public static SealedBatchData of(SealedBatch value) {
        return value == null ? null : new SealedBatchData(value);
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.SEALED_BATCH;
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
