package io.adgrid.grid.member;

import java.util.Arrays;
import java.util.List;

/**
 * How a process joins the grid.
 *
 * @param members    TCP-IP join list ({@code host:port}); a member binds the first free port from {@code port}
 * @param liteMember true for gateways and reporting: they join to route and query, but hold no data
 */
public record GridSettings(String clusterName, List<String> members, int port, boolean liteMember,
                           int partitionCount, int backupCount) {

    public static final String DEFAULT_MEMBERS = "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703";

    public static List<String> parseMembers(String csv) {
        String list = csv == null || csv.isBlank() ? DEFAULT_MEMBERS : csv;
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    public GridSettings asLiteMember() {
        return new GridSettings(clusterName, members, port, true, partitionCount, backupCount);
    }
}
