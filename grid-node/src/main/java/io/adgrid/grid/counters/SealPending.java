package io.adgrid.grid.counters;

import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.port.SealedBatch;
import java.io.IOException;
import java.util.Map;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * First step of a write-behind cycle: forget expired event identities, seal the pending counts of
 * the minutes before {@code sealBeforeMinute} (or return the batch still waiting for its
 * acknowledgement), and drop the entry once it holds nothing. The minutes come from the caller so
 * the backup computes the same; run through {@code PartitionBatchCall}, the owner replaces the
 * caller's minute and window with its own clock and window ({@link OwnerStamped}), so a caller
 * with another clock or configuration (a reporting process's admin flush) forgets nothing early.
 */
public final class SealPending implements EntryProcessor<Long, RouteState, SealedBatchData>, IdentifiedDataSerializable, OwnerStamped {

    private long nowMinute;
    private int windowMinutes;
    private long sealBeforeMinute;
    private java.util.UUID life;
    /** Set by the owner only (never serialized): see {@link #withheld()}. */
    private boolean withheld;

    public SealPending() {
    }

    /** Seals every pending count. */
    public SealPending(long nowMinute, int windowMinutes) {
        this(nowMinute, windowMinutes, Long.MAX_VALUE);
    }

    public SealPending(long nowMinute, int windowMinutes, long sealBeforeMinute) {
        this.nowMinute = nowMinute;
        this.windowMinutes = windowMinutes;
        this.sealBeforeMinute = sealBeforeMinute;
    }

    @Override
    public SealPending stamped(long ownerNowMillis, ReplayWindow window) {
        return new SealPending(Math.floorDiv(ownerNowMillis, 60_000L), window.minutes(), sealBeforeMinute);
    }

    /** A copy that stamps the owner's grid life on the batch it seals (the owner calls it; see {@link SealedBatch#life()}). */
    public SealPending inLife(java.util.UUID gridLife) {
        SealPending copy = new SealPending(nowMinute, windowMinutes, sealBeforeMinute);
        copy.life = gridLife;
        return copy;
    }

    /**
     * A copy that seals nothing and changes nothing, on owner and backup alike: what the owner runs on a
     * partition without its mark, whose entries are old copies to be dropped (issue 18, seeds 4 and 26). Sealed
     * and written, such a copy's batch would take a number the other line had used, and PostgreSQL's
     * watermark would then hold that line's journaled counts for written.
     */
    public SealPending withheld() {
        SealPending copy = inLife(life);
        copy.withheld = true;
        return copy;
    }

    @Override
    public EntryProcessor<Long, RouteState, SealedBatchData> getBackupProcessor() {
        return withheld ? null : this;
    }

    @Override
    public SealedBatchData process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        if (state == null || withheld) {
            return null;
        }
        state.expire(nowMinute, windowMinutes);
        SealedBatch batch = state.seal(sealBeforeMinute);
        entry.setValue(state.isEmpty() ? null : state);
        return batch == null ? null : SealedBatchData.of(batch.inLife(life));
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.SEAL_PENDING;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLong(nowMinute);
        out.writeInt(windowMinutes);
        out.writeLong(sealBeforeMinute);
        out.writeBoolean(life != null);
        if (life != null) {
            out.writeLong(life.getMostSignificantBits());
            out.writeLong(life.getLeastSignificantBits());
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        nowMinute = in.readLong();
        windowMinutes = in.readInt();
        sealBeforeMinute = in.readLong();
        life = in.readBoolean() ? new java.util.UUID(in.readLong(), in.readLong()) : null;
    }
}
