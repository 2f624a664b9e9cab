package io.adgrid.grid.member;

import io.adgrid.grid.counters.GridSerialization;
import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

/** Builds and starts a Hazelcast member configured for AdGrid. */
public final class GridMember {

    /** The one map of the grid: routing key (banner or campaign) to its {@code RouteState}. */
    public static final String COUNTERS_MAP = "adgrid-counters";

    private GridMember() {
    }

    public static HazelcastInstance start(GridSettings settings) {
        return Hazelcast.newHazelcastInstance(config(settings));
    }

    public static Config config(GridSettings settings) {
        Config config = new Config();
        config.setClusterName(settings.clusterName());
        config.setLiteMember(settings.liteMember());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.partition.count", Integer.toString(settings.partitionCount()));
        // Ctrl-C must not kill the member before AdGrid has flushed it; the application shuts it down.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.getSerializationConfig().addDataSerializableFactory(GridSerialization.FACTORY_ID, new GridSerialization());

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(100);
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
        config.addMapConfig(new MapConfig(COUNTERS_MAP)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setBackupCount(settings.backupCount())
                .setAsyncBackupCount(0)
                .setStatisticsEnabled(true));
        return config;
    }
}
