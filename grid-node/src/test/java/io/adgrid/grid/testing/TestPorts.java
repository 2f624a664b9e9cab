package io.adgrid.grid.testing;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fixed ports of integration tests, moved apart per failsafe fork. The default suite runs each
 * module's integration tests in two JVMs at once ({@code adgrid.it.forks} in the parent pom); two
 * test classes that use the same fixed port then never meet on it, because each fork adds its own
 * offset. Fixed ports stay where a test restarts a process on the port it had (a member rejoining
 * its list) or names a member list up front; the rest take {@link TestGrid#freePortBase()}.
 */
public final class TestPorts {

    /**
     * Between forks. Failsafe numbers its forks across the modules Maven builds at once (the lowest
     * number free), so with {@code -T 2} and three forks a module's forks are any three of 1 to 6. The
     * fixed ports tests use lie between 5,700 and 9,500 (with Hazelcast's port auto-increment), so
     * fork 6's lie between 24,700 and 28,500: all below {@link #FREE_FROM}, and below the kernel's
     * ephemeral range, where an outgoing connection of any process may hold a port at the moment a
     * member restarts on it (CI 49: JournalLifecycleIT's member found 45,780 occupied, took 45,781,
     * was not at its seat, and the process waited for a voting member until the test timed out).
     */
    static final int FORK_STRIDE = 3_800;
    static final int MAX_FORKS = 6;

    private static final int OFFSET = offset(fork(System.getProperty("adgrid.test.fork")));

    private TestPorts() {
    }

    /**
     * Where {@link #free} draws from: below Linux's ephemeral range (32,768 and up by default), from which
     * the kernel also takes the local port of every outgoing connection. A port found free there by
     * binding port 0 and closing it was taken again by a connection of another test's process before
     * the process meant for it bound it (CI, ReplayWindowIT: "Address already in use").
     */
    static final int FREE_FROM = 29_000;
    static final int FREE_TO = 32_000;

    /** {@code fixed}, moved to this fork's range. */
    public static int of(int fixed) {
        return fixed + OFFSET;
    }

    /** The member list {@code 127.0.0.1:of(base)}, … of {@code count} consecutive ports. */
    public static String members(int base, int count) {
        return IntStream.range(0, count).mapToObj(i -> "127.0.0.1:" + of(base + i)).collect(Collectors.joining(","));
    }

    /** A port free now, for a process a test starts: drawn at random outside the ephemeral range. */
    public static int free() {
        return freeRun(1);
    }

    /** The first of {@code count} consecutive ports free now, drawn as {@link #free()} draws. */
    public static int freeRun(int count) {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = random.nextInt(FREE_FROM, FREE_TO - count);
            boolean all = true;
            for (int i = 0; i < count && all; i++) {
                all = isFree(base + i);
            }
            if (all) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports between " + FREE_FROM + " and " + FREE_TO);
    }

    private static boolean isFree(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(port));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * The fork's number from {@code fork-N}, as the parent pom sets it; 1 when unset (a test run from
     * an IDE). Anything else fails loudly: until this was checked, the pom passed an empty value, every
     * fork took fork 1's ports, and two classes on one base could meet.
     */
    static int fork(String property) {
        if (property == null) {
            return 1;
        }
        if (property.matches("fork-\\d{1,3}")) {
            return Integer.parseInt(property.substring("fork-".length()));
        }
        throw new IllegalStateException("adgrid.test.fork is '" + property + "', expected fork-N (failsafe's ${surefire.forkNumber})");
    }

    static int offset(int fork) {
        if (fork < 1 || fork > MAX_FORKS) {
            throw new IllegalStateException("adgrid.test.fork is " + fork + ": fixed test ports are laid out for at most "
                    + MAX_FORKS + " forks at once, across the modules Maven builds in parallel (-T 2 and -Dadgrid.it.forks=3 at most)");
        }
        return (fork - 1) * FORK_STRIDE;
    }
}
