package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.Map;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Removes a counter entry, on its owner and its backups; answers true when there was one. Only for
 * leftovers: what a partition recorded lost still holds is an older replica set's (its history is in
 * the journals), and counting on it would reuse epoch and sequence numbers PostgreSQL already holds
 * from the line that went on.
 */
public final class DropEntry implements EntryProcessor<Long, RouteState, Boolean>, IdentifiedDataSerializable, HazelcastInstanceAware {

    private boolean unlessMarked;
    private transient HazelcastInstance member;

    /** Drops the entry whatever its partition's mark (the marks name a life that ended, or none). */
    public DropEntry() {
    }

    /**
     * Drops the entry only if its partition has no mark where the drop runs, on the partition's thread
     * (owner and backup alike): a partition read as unmarked by a reading that came back late, marked
     * meanwhile by the end of a recovery, keeps its live entries (issue 18, seed 31).
     */
    public static DropEntry unlessMarked() {
        DropEntry drop = new DropEntry();
        drop.unlessMarked = true;
        return drop;
    }

    @Override
    public Boolean process(Map.Entry<Long, RouteState> entry) {
        if (unlessMarked && markedHere(entry.getKey())) {
            return null;
        }
        boolean held = entry.getValue() != null;
        entry.setValue(null);
        return held ? Boolean.TRUE : null;
    }

    private boolean markedHere(Long key) {
        MarkedPartitions marks = (MarkedPartitions) member.getUserContext().get(MarkedPartitions.USER_CONTEXT_KEY);
        return marks.markedHere(member, key);
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.member = hazelcastInstance;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.DROP_ENTRY;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeBoolean(unlessMarked);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        unlessMarked = in.readBoolean();
    }
}
