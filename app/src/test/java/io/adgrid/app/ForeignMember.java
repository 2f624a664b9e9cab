package io.adgrid.app;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

/**
 * A stranger's Hazelcast member, run in its own JVM (and network namespace) by {@link GridBindingIT}:
 * plain Hazelcast with AdGrid's cluster name and the AdGrid member's address in its join list. Prints
 * how many members its cluster has and what it read from the AdGrid member's probe map, then exits.
 *
 * <p>Arguments: cluster name, this member's address, the AdGrid member ({@code host:port}), map, key.
 */
public final class ForeignMember {

    private ForeignMember() {
    }

    public static void main(String[] args) {
        Config config = new Config();
        config.setClusterName(args[0]);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.local.localAddress", args[1]);
        config.setProperty("hazelcast.partition.count", "271"); // what AdGrid's members check at join
        config.getNetworkConfig().setPort(5701);
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember(args[2]);
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
        try {
            Object read = member.getMap(args[3]).get(args[4]);
            System.out.println("FOREIGN members=" + member.getCluster().getMembers().size() + " read=" + read);
        } finally {
            member.getLifecycleService().terminate();
        }
        System.exit(0);
    }
}
