package io.adgrid.reporting.ops;

import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.LocalMapStats;
import com.hazelcast.partition.Partition;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Runs on every member (through the grid's executor service) and answers that member's figures:
 * partitions and entries it holds, its heap, and the AdGrid meters of its process. A process
 * publishes its registry for this in the member's user context under {@link #METER_REGISTRY}.
 */
public final class MemberSnapshotTask implements Callable<MemberSnapshot>, Serializable, HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;
    /** Key of the process's {@link MeterRegistry} in {@code HazelcastInstance.getUserContext()}. */
    public static final String METER_REGISTRY = "adgrid.ops.meter-registry";

    private transient HazelcastInstance grid;

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.grid = hazelcastInstance;
    }

    @Override
    public MemberSnapshot call() {
        return snapshot(grid);
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
        Object registry = grid.getUserContext().get(METER_REGISTRY);
        List<MeterSample> out = new ArrayList<>();
        if (!(registry instanceof MeterRegistry r)) {
            return out;
        }
        for (Meter m : r.getMeters()) {
            String name = m.getId().getName();
            if (name.startsWith("adgrid.") || name.equals("jvm.gc.pause")) {
                MeterSample s = MeterSample.of(m);
                if (s != null) {
                    out.add(s);
                }
            }
        }
        return out;
    }
}
