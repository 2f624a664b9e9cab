package io.adgrid.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A Linux network namespace joined to this one by a veth pair ({@code 10.213.N.1} here,
 * {@code 10.213.N.2} inside), so a test can run processes on the other side of a link it can cut
 * and heal. Needs root and iproute2; {@link #available} says whether this machine allows it.
 */
final class NetworkNamespace implements AutoCloseable {

    final String name;
    final String hostAddress;
    final String innerAddress;
    private final String hostLink;
    private final String innerLink;

    private NetworkNamespace(int n) {
        this.name = "adgrid-split-" + n;
        this.hostLink = "adgh" + n;
        this.innerLink = "adgn" + n;
        this.hostAddress = "10.213." + n + ".1";
        this.innerAddress = "10.213." + n + ".2";
    }

    static boolean available() {
        return "root".equals(System.getProperty("user.name")) && run(List.of("ip", "netns", "list")) == 0;
    }

    static NetworkNamespace create() {
        NetworkNamespace ns = new NetworkNamespace(ThreadLocalRandom.current().nextInt(1, 250));
        String inner = ns.innerLink;
        ns.must("ip", "netns", "add", ns.name);
        ns.must("ip", "link", "add", ns.hostLink, "type", "veth", "peer", "name", inner);
        ns.must("ip", "link", "set", inner, "netns", ns.name);
        ns.must("ip", "addr", "add", ns.hostAddress + "/24", "dev", ns.hostLink);
        ns.must("ip", "link", "set", ns.hostLink, "up");
        ns.must("ip", "netns", "exec", ns.name, "ip", "addr", "add", ns.innerAddress + "/24", "dev", inner);
        ns.must("ip", "netns", "exec", ns.name, "ip", "link", "set", inner, "up");
        ns.must("ip", "netns", "exec", ns.name, "ip", "link", "set", "lo", "up");
        return ns;
    }

    /** The prefix that runs a command inside the namespace. */
    List<String> launcher() {
        return List.of("ip", "netns", "exec", name);
    }

    /**
     * Takes the link down at the namespace's end: packets stop both ways, as in a real partition. Not
     * at this end: with its end down the host loses its route to the namespace, connections to the
     * inner address leave by the default route, and on some machines (this test's VM) something
     * there accepts any TCP connection. Hazelcast then waits for the handshake of a "connected"
     * peer that never answers and counts the connection as in progress for as long as the socket
     * lives, so the big side cannot reach the lone member even after the heal.
     */
    void cut() {
        must("ip", "netns", "exec", name, "ip", "link", "set", innerLink, "down");
    }

    void heal() {
        must("ip", "netns", "exec", name, "ip", "link", "set", innerLink, "up");
    }

    /** Runs a command inside the namespace and returns its standard output. */
    String exec(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(launcher());
        full.addAll(command);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        return new String(out, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        run(List.of("ip", "link", "del", hostLink));
        run(List.of("ip", "netns", "del", name));
    }

    private void must(String... command) {
        if (run(List.of(command)) != 0) {
            close();
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }

    private static int run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
