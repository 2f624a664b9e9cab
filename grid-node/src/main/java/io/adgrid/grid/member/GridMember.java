package io.adgrid.grid.member;

import java.time.Duration;
import java.util.List;
import io.adgrid.grid.counters.FreezeFence;
import io.adgrid.grid.counters.GridSerialization;
import io.adgrid.grid.counters.LaterCopyMergePolicy;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.hazelcast.GridOperations;
import io.adgrid.grid.hazelcast.HazelcastCounterGrid;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.journal.SliceJournal;
import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.merge.DiscardMergePolicy;
import com.hazelcast.spi.properties.ClusterProperty;

/** Builds and starts a Hazelcast member configured for AdGrid. */
public final class GridMember {

    /** The one map of the grid (named where its values are: the grid's Hazelcast operations need it too). */
    public static final String COUNTERS_MAP = RouteState.MAP;
    /** The split-brain protection of the counter map (present when {@code minMembers > 1}). */
    public static final String MAJORITY = "adgrid-majority";

    private GridMember() {
    }

    /** The counters of the grid {@code member} belongs to (a data or lite member, never a client), through the port. */
    public static CounterGrid counterGrid(HazelcastInstance member) {
        return new HazelcastCounterGrid(member);
    }

    public static HazelcastInstance start(GridSettings settings) {
        return Hazelcast.newHazelcastInstance(config(settings));
    }

    /** A member that journals what it applies to {@code journal} (see {@link SliceJournal}). */
    public static HazelcastInstance start(GridSettings settings, SliceJournal journal) {
        return start(settings, journal, null);
    }

    /**
     * A member with the given ts window (what it accepts and how long it remembers identities, on its
     * own clock; null: the callers' minute and window, for the grid's own tests), journaling to
     * {@code journal} unless null.
     */
    public static HazelcastInstance start(GridSettings settings, SliceJournal journal, ReplayWindow window) {
        Config config = config(settings);
        if (journal != null) {
            config.getUserContext().put(SliceJournal.USER_CONTEXT_KEY, journal);
        }
        if (window != null) {
            config.getUserContext().put(ReplayWindow.USER_CONTEXT_KEY, window);
        }
        return Hazelcast.newHazelcastInstance(config);
    }

    /** After how long without a heartbeat the cluster removes a member (Hazelcast's property, 60 s unless set). */
    private static Duration heartbeatTimeout(Config config) {
        String name = ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getName();
        String seconds = config.getProperty(name) != null ? config.getProperty(name)
                : System.getProperty(name, ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getDefaultValue());
        return Duration.ofSeconds(Long.parseLong(seconds.trim()));
    }

    public static Config config(GridSettings settings) {
        Config config = new Config();
        config.getUserContext().put(io.adgrid.grid.counters.MarkedPartitions.USER_CONTEXT_KEY,
                io.adgrid.grid.hazelcast.PartitionMarks.ON_THE_PARTITION_THREAD);
        config.getUserContext().put(FreezeFence.USER_CONTEXT_KEY, FreezeFence.watchingThisJvm(heartbeatTimeout(config)));
        config.setClusterName(settings.clusterName());
        config.setLiteMember(settings.liteMember());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.partition.count", Integer.toString(settings.partitionCount()));
        // Ctrl-C must not kill the member before AdGrid has flushed it; the application shuts it down.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // A call whose backups did not acknowledge fails (and is re-sent) rather than succeeding on
        // the owner alone: a 2xx promises the counts survive the owner's death.
        config.setProperty("hazelcast.operation.fail.on.indeterminate.state", "true");
        // Two clusters that should be one (the sides of a healed split, or a gateway that started
        // before any data member) find each other within seconds, not Hazelcast's 5 and 2 minutes.
        // A -D system property still overrides these.
        for (String merge : new String[] {"hazelcast.merge.first.run.delay.seconds", "hazelcast.merge.next.run.delay.seconds"}) {
            config.setProperty(merge, System.getProperty(merge, "15"));
        }
        config.getSerializationConfig().addDataSerializableFactory(GridSerialization.FACTORY_ID, new GridSerialization());
        config.getSerializationConfig().addDataSerializableFactory(GridOperations.FACTORY_ID, new GridOperations());
        config.getSerializationConfig().addDataSerializableFactory(MemberSerialization.FACTORY_ID, new MemberSerialization());

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(100);
        // Listen on one address only (Hazelcast binds every interface by default): open-source Hazelcast has
        // no member authentication, so who can reach this socket can join the cluster. See docs/SECURITY.md.
        network.getInterfaces().setEnabled(true).setInterfaces(List.of(settings.bindInterface()));
        config.setProperty("hazelcast.socket.bind.any", "false");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (settings.kubernetesDiscovery()) {
            // DNS mode: the headless Service's A records are the members; no Kubernetes API access (RBAC) needed.
            join.getTcpIpConfig().setEnabled(false);
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("service-dns", settings.kubernetesServiceDns().trim())
                    .setProperty("service-port", Integer.toString(settings.port()));
        } else {
            join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());
        }

        // OBJECT format: entry processors update the state in place instead of deserializing and
        // re-serializing it on every batch; backups replay the same processor.
        MapConfig counters = new MapConfig(COUNTERS_MAP)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setBackupCount(settings.backupCount())
                .setAsyncBackupCount(0)
                .setStatisticsEnabled(true);
        if (settings.minMembers() > 1) {
            // A side of a split without the majority refuses reads and writes, so only one side counts.
            // On healing, of two copies of an entry the later one stays, whichever side it was on
            // (LaterCopyMergePolicy); adding them would count twice everything both inherited. A partition
            // whose owner and backups were all on the side merged in comes out of the merge empty and
            // unmarked, and the lost-partition recovery replays the journals for it. See docs/RELIABILITY.md.
            config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MAJORITY, true)
                    .setFunctionImplementation(DataMembersAtLeast.of(settings)));
            counters.setSplitBrainProtectionName(MAJORITY);
            counters.getMergePolicyConfig().setPolicy(LaterCopyMergePolicy.class.getName());
        }
        // The journal protocol (the grid's life, the journals awaited, the partitions lost): a copy on every
        // member (it is tiny), so only the loss of every data member loses the life: two members killed
        // together once took its only two copies, and a member started again named a new life while the
        // grid lived on (issue 18, seed 14). With a majority set, a side without it cannot write it either:
        // a member that fell out of the majority while it joined once named a life of its own (seed 11).
        // One backup synchronous, the others asynchronous: a paused member does not stall its writes.
        MapConfig protocol = new MapConfig(io.adgrid.grid.journal.RecoveryGate.MAP).setBackupCount(1)
                .setAsyncBackupCount(MapConfig.MAX_BACKUP_COUNT - 1);
        if (settings.minMembers() > 1) {
            protocol.setSplitBrainProtectionName(MAJORITY);
        }
        config.addMapConfig(protocol);
        config.addMapConfig(counters);
        // Replicated like the counters, so a partition that loses every replica of its counts loses its mark too.
        // With a majority set, a mark only the merging side has is dropped, like the counts it stood for: a
        // partition the side merged into had lost stays unmarked, and its journals are replayed for it
        // (issue 18, two members cut off at once).
        MapConfig marks = new MapConfig(io.adgrid.grid.hazelcast.PartitionMarks.MAP)
                .setBackupCount(settings.backupCount())
                .setAsyncBackupCount(0);
        if (settings.minMembers() > 1) {
            marks.getMergePolicyConfig().setPolicy(DiscardMergePolicy.class.getName());
        }
        config.addMapConfig(marks);
        return config;
    }
}
