package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.UUID;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * The not-yet-persisted counts of one grid entry, for a live report: the sealed batch (if any)
 * and the pending counts, taken while the next batch was {@code pendingSeq}. A count belongs in the
 * report only if PostgreSQL's {@link Watermark} for {@code epoch} does not hold it.
 */
public final class MemorySnapshot implements IdentifiedDataSerializable {

    private long epochHi;
    private long epochLo;
    private long sealedSeq;
    private CounterDeltas sealed;
    private long pendingSeq;
    private CounterDeltas pending;

    public MemorySnapshot() {
    }

    MemorySnapshot(long epochHi, long epochLo, long sealedSeq, CounterDeltas sealed, long pendingSeq, CounterDeltas pending) {
        this.epochHi = epochHi;
        this.epochLo = epochLo;
        this.sealedSeq = sealedSeq;
        this.sealed = sealed;
        this.pendingSeq = pendingSeq;
        this.pending = pending;
    }

    public UUID epoch() {
        return new UUID(epochHi, epochLo);
    }

    /** The counts PostgreSQL does not hold yet, given its watermark for this epoch. */
    public CounterDeltas unpersisted(Watermark watermark) {
        CounterDeltas out = new CounterDeltas();
        addUnpersisted(out, sealed, sealedSeq, watermark);
        addUnpersisted(out, pending, pendingSeq, watermark);
        return out;
    }

    private static void addUnpersisted(CounterDeltas out, CounterDeltas part, long seq, Watermark watermark) {
        part.asMap().forEach((k, v) -> {
            if (!watermark.holds(seq, k.minute())) {
                out.add(k, v);
            }
        });
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
        out.writeLong(epochHi);
        out.writeLong(epochLo);
        out.writeLong(sealedSeq);
        sealed.writeTo(out);
        out.writeLong(pendingSeq);
        pending.writeTo(out);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        epochHi = in.readLong();
        epochLo = in.readLong();
        sealedSeq = in.readLong();
        sealed = CounterDeltas.readFrom(in);
        pendingSeq = in.readLong();
        pending = CounterDeltas.readFrom(in);
    }
}
