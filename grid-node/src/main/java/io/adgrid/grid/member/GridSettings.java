package io.adgrid.grid.member;

import java.util.Arrays;
import java.util.List;

/**
 * How a process joins the grid.
 *
 * @param members    TCP-IP join list ({@code host:port}); a member binds the first free port from {@code port}
 * @param liteMember true for gateways and reporting: they join to route and query, but hold no data
 * @param kubernetesServiceDns when set (e.g. {@code adgrid-grid.adgrid.svc.cluster.local}, a headless Service
 *                   selecting the data members), members are found by Hazelcast's Kubernetes discovery in DNS
 *                   mode instead of {@code members}; null or blank: TCP-IP with {@code members}
 * @param minMembers the fewest data members that may count: a side of a split cluster with fewer
 *                   refuses to (its gateways answer 503) so the two sides never count apart; 1 turns it
 *                   off (one member, or a cluster that accepts the risk); a majority, N/2+1, for N members
 * @param bindInterface the one address the member listens on (an IP address; never every interface): null or
 *                   blank is {@link #LOOPBACK}, so a default member is reachable from this host only
 */
public record GridSettings(String clusterName, List<String> members, int port, boolean liteMember,
                           int partitionCount, int backupCount, String kubernetesServiceDns, int minMembers,
                           String bindInterface) {

    public static final String LOOPBACK = "127.0.0.1";

    public GridSettings {
        if (minMembers < 1) {
            throw new IllegalArgumentException("minMembers must be at least 1, was " + minMembers);
        }
        bindInterface = bindInterface == null || bindInterface.isBlank() ? LOOPBACK : bindInterface.trim();
        if (bindInterface.equals("*") || bindInterface.equals("0.0.0.0") || bindInterface.equals("::")) {
            throw new IllegalArgumentException("the grid binds one interface, not every one (" + bindInterface
                    + "): set ADGRID_GRID_INTERFACE to this host's address on the members' network");
        }
    }

    /** Bound to loopback. */
    public GridSettings(String clusterName, List<String> members, int port, boolean liteMember,
                        int partitionCount, int backupCount, String kubernetesServiceDns, int minMembers) {
        this(clusterName, members, port, liteMember, partitionCount, backupCount, kubernetesServiceDns, minMembers, null);
    }

    /** No split-brain protection ({@code minMembers} 1). */
    public GridSettings(String clusterName, List<String> members, int port, boolean liteMember,
                        int partitionCount, int backupCount, String kubernetesServiceDns) {
        this(clusterName, members, port, liteMember, partitionCount, backupCount, kubernetesServiceDns, 1);
    }

    public static final String DEFAULT_MEMBERS = "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703";

    /** TCP-IP join with {@code members} (no Kubernetes discovery). */
    public GridSettings(String clusterName, List<String> members, int port, boolean liteMember,
                        int partitionCount, int backupCount) {
        this(clusterName, members, port, liteMember, partitionCount, backupCount, null, 1);
    }

    public static List<String> parseMembers(String csv) {
        String list = csv == null || csv.isBlank() ? DEFAULT_MEMBERS : csv;
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** True when members are found through a Kubernetes headless Service's DNS records. */
    public boolean kubernetesDiscovery() {
        return kubernetesServiceDns != null && !kubernetesServiceDns.isBlank();
    }

    public GridSettings asLiteMember() {
        return new GridSettings(clusterName, members, port, true, partitionCount, backupCount, kubernetesServiceDns, minMembers,
                bindInterface);
    }

    public GridSettings withMinMembers(int min) {
        return new GridSettings(clusterName, members, port, liteMember, partitionCount, backupCount, kubernetesServiceDns, min,
                bindInterface);
    }

    public GridSettings withBindInterface(String address) {
        return new GridSettings(clusterName, members, port, liteMember, partitionCount, backupCount, kubernetesServiceDns,
                minMembers, address);
    }
}
