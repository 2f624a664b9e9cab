package io.adgrid.grid.port;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.UUID;

/**
 * The not-yet-persisted counts of one grid entry, for a live report: the sealed batch (if any)
 * and the pending counts, taken while the next batch was {@code pendingSeq}. A count belongs in the
 * report only if PostgreSQL's {@link Watermark} for {@code epoch} does not hold it.
 */
public class MemorySnapshot {

    private long epochHi;
    private long epochLo;
    private long sealedSeq;
    private CounterDeltas sealed;
    private long pendingSeq;
    private CounterDeltas pending;

    /** For the grid's wire form, which fills it with {@link #readFields}. */
    protected MemorySnapshot() {
    }

    /** A copy of {@code snapshot}. */
    protected MemorySnapshot(MemorySnapshot snapshot) {
        this(snapshot.epochHi, snapshot.epochLo, snapshot.sealedSeq, snapshot.sealed, snapshot.pendingSeq, snapshot.pending);
    }

    public MemorySnapshot(long epochHi, long epochLo, long sealedSeq, CounterDeltas sealed, long pendingSeq, CounterDeltas pending) {
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

    /** The snapshot's bytes in the grid's answers (grid class id 7: unchanged, a rolling restart mixes versions). */
    public void writeTo(DataOutput out) throws IOException {
        out.writeLong(epochHi);
        out.writeLong(epochLo);
        out.writeLong(sealedSeq);
        sealed.writeTo(out);
        out.writeLong(pendingSeq);
        pending.writeTo(out);
    }

    /** Reads what {@link #writeTo} wrote into this (new) snapshot. */
    protected void readFields(DataInput in) throws IOException {
        epochHi = in.readLong();
        epochLo = in.readLong();
        sealedSeq = in.readLong();
        sealed = CounterDeltas.readFrom(in);
        pendingSeq = in.readLong();
        pending = CounterDeltas.readFrom(in);
    }
}
