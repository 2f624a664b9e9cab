package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Last step of a write-behind cycle: the sealed batches PostgreSQL now holds are dropped from memory. */
public final class AcknowledgeBatches implements EntryProcessor<Long, RouteState, Void>, IdentifiedDataSerializable {

    private Map<Long, Long> seqByKey;

    public AcknowledgeBatches() {
    }

    public AcknowledgeBatches(Map<Long, Long> seqByKey) {
        this.seqByKey = seqByKey;
    }

    @Override
    public Void process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        Long seq = seqByKey.get(entry.getKey());
        if (state != null && seq != null) {
            state.acknowledge(seq);
            entry.setValue(state.isEmpty() ? null : state);
        }
        return null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.ACKNOWLEDGE_BATCHES;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeInt(seqByKey.size());
        for (Map.Entry<Long, Long> e : seqByKey.entrySet()) {
            out.writeLong(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        int n = in.readInt();
        seqByKey = new HashMap<>(Math.max(16, n * 2));
        for (int i = 0; i < n; i++) {
            seqByKey.put(in.readLong(), in.readLong());
        }
    }
}
