package io.adgrid.grid.counters;

import java.util.Map;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Reads what an entry knows PostgreSQL holds of its epoch ({@code {epochHi, epochLo, lastSeq,
 * cutMinute, fullSeq}}, null for no entry): after a failover, a watermark found behind it names the
 * write-behind batches the new primary lost (issue 17.6).
 */
public final class AcknowledgedWatermark implements EntryProcessor<Long, RouteState, long[]>, ReadOnly, IdentifiedDataSerializable {

    @Override
    public long[] process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        if (state == null) {
            return null;
        }
        Watermark w = state.acknowledged();
        java.util.UUID epoch = state.epoch();
        return new long[] {epoch.getMostSignificantBits(), epoch.getLeastSignificantBits(), w.lastSeq(), w.cutMinute(), w.fullSeq()};
    }

    @Override
    public EntryProcessor<Long, RouteState, long[]> getBackupProcessor() {
        return null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.ACKNOWLEDGED_WATERMARK;
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
