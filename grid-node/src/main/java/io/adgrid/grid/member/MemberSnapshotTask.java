package io.adgrid.grid.member;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.concurrent.Callable;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.LocalMapStats;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.partition.Partition;

/**
 * Runs on every member (through the grid's executor service) and answers that member's figures:
 * partitions and entries it holds, its heap, and the AdGrid meters of its process. A process
 * publishes its meters for this in the member's user context under {@link #METERS}.
 */
public final class MemberSnapshotTask implements Callable<MemberSnapshotTask.Answer>, IdentifiedDataSerializable, HazelcastInstanceAware {

    /** Key of the process's {@link MemberMeters} in {@code HazelcastInstance.getUserContext()}. */
    public static final String METERS = "adgrid.ops.member-meters";

    private transient HazelcastInstance grid;

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.grid = hazelcastInstance;
    }

    @Override
    public Answer call() {
        return new Answer(snapshot(grid));
    }

    /** This member's snapshot (also used directly for the local member). */
    public static MemberSnapshot snapshot(HazelcastInstance grid) {
        Member local = grid.getCluster().getLocalMember();
        int partitions = 0;
        for (Partition p : grid.getPartitionService().getPartitions()) {
            Member owner = p.getOwner();
            if (owner != null && owner.localMember()) {
                partitions++;
            }
        }
        long owned = 0;
        long backups = 0;
        if (!local.isLiteMember()) {
            LocalMapStats stats = grid.getMap(GridMember.COUNTERS_MAP).getLocalMapStats();
            owned = stats.getOwnedEntryCount();
            backups = stats.getBackupEntryCount();
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        return new MemberSnapshot(local.getUuid().toString(), local.getAddress().toString(), local.isLiteMember(),
                partitions, owned, backups, heap.getUsed(), heap.getMax(), uptime, meters(grid));
    }

    private static List<MeterSample> meters(HazelcastInstance grid) {
        return grid.getUserContext().get(METERS) instanceof MemberMeters m ? m.samples() : List.of();
    }

    @Override
    public int getFactoryId() {
        return MemberSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return MemberSerialization.SNAPSHOT_TASK;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // no state
    }

    @Override
    public void readData(ObjectDataInput in) {
        // no state
    }

    /** A member's snapshot as it crosses the network. */
    public static final class Answer implements IdentifiedDataSerializable {

        private MemberSnapshot snapshot;

        public Answer() {
        }

        public Answer(MemberSnapshot snapshot) {
            this.snapshot = snapshot;
        }

        public MemberSnapshot snapshot() {
            return snapshot;
        }

        @Override
        public int getFactoryId() {
            return MemberSerialization.FACTORY_ID;
        }

        @Override
        public int getClassId() {
            return MemberSerialization.SNAPSHOT_ANSWER;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            snapshot.writeTo(out);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            snapshot = MemberSnapshot.readFrom(in);
        }
    }
}
