package io.adgrid.app.metrics;

import io.adgrid.app.config.Role;
import io.adgrid.grid.member.GridMember;
import io.adgrid.reporting.ops.MeterSamples;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.Partition;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * This process's place in the grid, as gauges: members it sees, partitions and entries it holds,
 * its role. Binding also publishes the process's registry to its Hazelcast member, so the ops
 * overview of any reporting process can read this process's meters through the grid.
 */
final class GridMeters implements MeterBinder {

    private final HazelcastInstance grid;
    private final Role role;

    GridMeters(HazelcastInstance grid, Role role) {
        this.grid = grid;
        this.role = role;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        MeterSamples.publish(grid, registry);
        Gauge.builder("adgrid.process.role", () -> 1).tag("role", role.command())
                .description("1, tagged with the role of this process (run, node, gateway, reporting)").register(registry);
        Gauge.builder("adgrid.grid.members", grid, g -> running(g) ? g.getCluster().getMembers().size() : 0)
                .description("Members of the grid cluster this process sees (itself included)").register(registry);
        Gauge.builder("adgrid.grid.partitions", grid, GridMeters::ownedPartitions)
                .description("Grid partitions this member owns (0 for a lite member)").register(registry);
        Gauge.builder("adgrid.grid.entries", grid, g -> running(g) ? g.getMap(GridMember.COUNTERS_MAP).getLocalMapStats().getOwnedEntryCount() : 0)
                .description("Grid entries (routing keys: banners, and campaigns for sales) this member owns").register(registry);
        Gauge.builder("adgrid.grid.backup.entries", grid, g -> running(g) ? g.getMap(GridMember.COUNTERS_MAP).getLocalMapStats().getBackupEntryCount() : 0)
                .description("Backup copies of other members' entries this member holds").register(registry);
        Gauge.builder("adgrid.grid.cluster.safe", grid, g -> running(g) && g.getPartitionService().isClusterSafe() ? 1 : 0)
                .description("1 when every partition has its owner and backups in sync (no migration running), else 0").register(registry);
    }

    private static boolean running(HazelcastInstance g) {
        return g.getLifecycleService().isRunning();
    }

    private static int ownedPartitions(HazelcastInstance g) {
        if (!running(g)) {
            return 0;
        }
        int n = 0;
        for (Partition p : g.getPartitionService().getPartitions()) {
            Member owner = p.getOwner();
            if (owner != null && owner.localMember()) {
                n++;
            }
        }
        return n;
    }
}
