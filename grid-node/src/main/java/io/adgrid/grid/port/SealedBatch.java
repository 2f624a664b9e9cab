package io.adgrid.grid.port;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.reach.ReachSketch;

/**
 * Counts sealed for writing: batch {@code seq} of the grid entry whose life is {@code epoch}, holding
 * its pending counts of the minutes before {@code cutMinute} ({@link Long#MAX_VALUE}: all it had),
 * and the users its impressions reached since the batch before ({@link #reach}).
 */
public class SealedBatch {

    private long epochHi;
    private long epochLo;
    private long seq;
    private long cutMinute;
    private CounterDeltas deltas;
    private Watermark acknowledged = Watermark.NONE;
    private UUID life;
    private List<ReachSketch> reach = List.of();

    /** For the grid's wire form, which fills it with {@link #readFields}. */
    protected SealedBatch() {
    }

    /** A copy of {@code batch}. */
    protected SealedBatch(SealedBatch batch) {
        this(batch.epochHi, batch.epochLo, batch.seq, batch.cutMinute, batch.deltas, batch.acknowledged, batch.reach);
        this.life = batch.life;
    }

    public SealedBatch(long epochHi, long epochLo, long seq, long cutMinute, CounterDeltas deltas) {
        this(epochHi, epochLo, seq, cutMinute, deltas, Watermark.NONE);
    }

    /** @param acknowledged what PostgreSQL held of the epoch when the grid dropped the batch before this one */
    public SealedBatch(long epochHi, long epochLo, long seq, long cutMinute, CounterDeltas deltas, Watermark acknowledged) {
        this.epochHi = epochHi;
        this.epochLo = epochLo;
        this.seq = seq;
        this.cutMinute = cutMinute;
        this.deltas = deltas;
        this.acknowledged = acknowledged;
    }

    public SealedBatch(long epochHi, long epochLo, long seq, long cutMinute, CounterDeltas deltas, Watermark acknowledged,
                       List<ReachSketch> reach) {
        this(epochHi, epochLo, seq, cutMinute, deltas, acknowledged);
        this.reach = reach;
    }

    /** Users reached since the entry's batch before, by banner and day: PostgreSQL takes their union (written twice, the same). */
    public List<ReachSketch> reach() {
        return reach;
    }

    /**
     * What PostgreSQL held of the epoch when the grid dropped the previous batch: a database whose
     * watermark is behind it lost acknowledged writes, and this batch must not be written over them.
     */
    public Watermark acknowledged() {
        return acknowledged;
    }

    /**
     * The grid life of the member that sealed the batch, or null without a journal. PostgreSQL
     * refuses the batches of a life that a newer one ended: that one replays the old life's journals,
     * so a member cut off from it writing what it still holds would count it twice.
     */
    public UUID life() {
        return life;
    }

    /** This batch, sealed by a member of {@code gridLife}. */
    public SealedBatch inLife(UUID gridLife) {
        this.life = gridLife;
        return this;
    }

    public UUID epoch() {
        return new UUID(epochHi, epochLo);
    }

    public long seq() {
        return seq;
    }

    public long cutMinute() {
        return cutMinute;
    }

    /** Whether the batch took every pending count of its entry. */
    public boolean full() {
        return cutMinute == Long.MAX_VALUE;
    }

    public CounterDeltas deltas() {
        return deltas;
    }

    /** The batch's bytes in the grid's answers (grid class id 6: unchanged, a rolling restart mixes versions). */
    public void writeTo(DataOutput out) throws IOException {
        out.writeLong(epochHi);
        out.writeLong(epochLo);
        out.writeLong(seq);
        out.writeLong(cutMinute);
        deltas.writeTo(out);
        out.writeLong(acknowledged.lastSeq());
        out.writeLong(acknowledged.cutMinute());
        out.writeLong(acknowledged.fullSeq());
        out.writeBoolean(life != null);
        if (life != null) {
            out.writeLong(life.getMostSignificantBits());
            out.writeLong(life.getLeastSignificantBits());
        }
        out.writeInt(reach.size());
        for (ReachSketch r : reach) {
            r.writeTo(out);
        }
    }

    /** Reads what {@link #writeTo} wrote into this (new) batch. */
    protected void readFields(DataInput in) throws IOException {
        epochHi = in.readLong();
        epochLo = in.readLong();
        seq = in.readLong();
        cutMinute = in.readLong();
        deltas = CounterDeltas.readFrom(in);
        acknowledged = new Watermark(in.readLong(), in.readLong(), in.readLong());
        life = in.readBoolean() ? new UUID(in.readLong(), in.readLong()) : null;
        int n = in.readInt();
        List<ReachSketch> sketches = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sketches.add(ReachSketch.readFrom(in));
        }
        reach = sketches;
    }
}
