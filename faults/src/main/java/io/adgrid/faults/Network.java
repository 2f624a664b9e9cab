package io.adgrid.faults;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The network a {@link Schedule.Nemesis#PARTITION} cuts: a bridge on this host ({@code 10.214.S.1},
 * where the gateways, reporting and PostgreSQL listen) and one Linux network namespace per data
 * member ({@code 10.214.S.(10+i)}), each joined to the bridge by a veth pair, so that any member can
 * be cut off at any time, alone or with others. Members talk to each other over the bridge (layer 2,
 * no forwarding on the host), so cutting one member's link cuts it off from everybody.
 *
 * <p>As in the app's {@code NetworkNamespace}, a clean cut takes the link down at the namespace's
 * end: the host keeps its route to the subnet (the bridge stays up), so connections to the cut
 * member fail or hang rather than leaving by the default route. The one-way cuts use policy routes
 * ({@code ip rule … blackhole}): this kernel has neither netem nor netfilter, so the sending side's
 * packets are discarded by its own routing (a local sender gets an error at once, a reply is
 * dropped); the other direction still flows. Needs root and iproute2.
 */
final class Network implements AutoCloseable {

    /** How a step cuts: both ways, the member's own packets dropped (it hears, cannot speak), or packets to it dropped. */
    enum Cut {
        CLEAN, MUTE, DEAF;

        static Cut of(int param) {
            return values()[param];
        }
    }

    final String hostAddress;
    private final int subnet;
    private final String bridge;
    private final Map<String, String> namespaces = new LinkedHashMap<>();
    private final Map<String, String> addresses = new LinkedHashMap<>();
    /** Host-side policy rules a DEAF cut added, removed at its heal and at close (namespaced ones go with their namespace). */
    private final List<String> hostRules = new ArrayList<>();
    private boolean closed;

    private Network(int subnet) {
        this.subnet = subnet;
        this.bridge = "adgf" + subnet;
        this.hostAddress = "10.214." + subnet + ".1";
    }

    static boolean available() {
        return "root".equals(System.getProperty("user.name")) && quiet(List.of("ip", "netns", "list")) == 0;
    }

    /** A bridge and one namespace per member; on any failure whatever was made is removed again. */
    static Network create(List<String> members) {
        Network n = new Network(ThreadLocalRandom.current().nextInt(1, 250));
        try {
            n.must("ip", "link", "add", n.bridge, "type", "bridge");
            n.must("ip", "addr", "add", n.hostAddress + "/24", "dev", n.bridge);
            n.must("ip", "link", "set", n.bridge, "up");
            for (int i = 0; i < members.size(); i++) {
                n.add(members.get(i), i + 1);
            }
            return n;
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
    }

    private void add(String member, int index) {
        String ns = "adgrid-faults-" + subnet + "-" + member;
        String host = bridge + member;
        String inner = host + "n";
        String address = "10.214." + subnet + "." + (10 + index);
        must("ip", "netns", "add", ns);
        namespaces.put(member, ns);
        must("ip", "link", "add", host, "type", "veth", "peer", "name", inner);
        must("ip", "link", "set", inner, "netns", ns);
        must("ip", "link", "set", host, "master", bridge);
        must("ip", "link", "set", host, "up");
        must("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", inner);
        must("ip", "netns", "exec", ns, "ip", "link", "set", inner, "up");
        must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        addresses.put(member, address);
    }

    String address(String member) {
        return addresses.get(member);
    }

    /** The prefix that runs a member's command inside its namespace ({@code ip netns exec} execs, so the pid is the JVM's). */
    List<String> launcher(String member) {
        return List.of("ip", "netns", "exec", namespaces.get(member));
    }

    synchronized void cut(String member, Cut how) {
        String ns = namespaces.get(member);
        switch (how) {
            case CLEAN -> must("ip", "netns", "exec", ns, "ip", "link", "set", innerLink(member), "down");
            case MUTE -> must("ip", "netns", "exec", ns, "ip", "rule", "add", "to", "10.214." + subnet + ".0/24", "blackhole");
            case DEAF -> {
                String to = addresses.get(member);
                for (Map.Entry<String, String> other : namespaces.entrySet()) {
                    if (!other.getKey().equals(member)) {
                        must("ip", "netns", "exec", other.getValue(), "ip", "rule", "add", "to", to, "blackhole");
                    }
                }
                must("ip", "rule", "add", "to", to, "blackhole");
                hostRules.add(to);
            }
        }
    }

    /** Undoes every cut of {@code member}, whichever it was; a cut not in place is no error. */
    synchronized void heal(String member) {
        String ns = namespaces.get(member);
        quiet(List.of("ip", "netns", "exec", ns, "ip", "link", "set", innerLink(member), "up"));
        while (quiet(List.of("ip", "netns", "exec", ns, "ip", "rule", "del", "to", "10.214." + subnet + ".0/24", "blackhole")) == 0) {
            // one rule per MUTE cut
        }
        String to = addresses.get(member);
        for (String other : namespaces.values()) {
            while (quiet(List.of("ip", "netns", "exec", other, "ip", "rule", "del", "to", to, "blackhole")) == 0) {
                // one per DEAF cut
            }
        }
        while (hostRules.remove(to)) {
            quiet(List.of("ip", "rule", "del", "to", to, "blackhole"));
        }
    }

    synchronized void healAll() {
        namespaces.keySet().forEach(this::heal);
    }

    private String innerLink(String member) {
        return bridge + member + "n";
    }

    /** Removes host rules, namespaces and the bridge. Call after the processes inside have been killed: a namespace lives while a process does. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (String to : hostRules) {
            quiet(List.of("ip", "rule", "del", "to", to, "blackhole"));
        }
        hostRules.clear();
        for (Map.Entry<String, String> e : namespaces.entrySet()) {
            quiet(List.of("ip", "link", "del", bridge + e.getKey()));
            quiet(List.of("ip", "netns", "del", e.getValue()));
        }
        quiet(List.of("ip", "link", "del", bridge));
    }

    private void must(String... command) {
        if (quiet(List.of(command)) != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }

    private static int quiet(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
