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
     * Between forks: more than the fixed ports' spread within each of their two ranges (5,700–7,000
     * and 45,700–47,400, plus Hazelcast's port auto-increment), and fork 2's ports stay below 65,536.
     */
    static final int FORK_STRIDE = 10_000;
    static final int MAX_FORKS = 2;

    private static final int OFFSET = offset(Integer.getInteger("adgrid.test.fork", 1));

    private TestPorts() {
    }

    /** {@code fixed}, moved to this fork's range. */
    public static int of(int fixed) {
        return fixed + OFFSET;
    }

    /** The member list {@code 127.0.0.1:of(base)}, … of {@code count} consecutive ports. */
    public static String members(int base, int count) {
        return IntStream.range(0, count).mapToObj(i -> "127.0.0.1:" + of(base + i)).collect(Collectors.joining(","));
    }

    static int offset(int fork) {
        if (fork < 1 || fork > MAX_FORKS) {
            throw new IllegalStateException("adgrid.test.fork is " + fork + ": fixed test ports are laid out for at most "
                    + MAX_FORKS + " forks (set -Dadgrid.it.forks=1 or 2)");
        }
        return (fork - 1) * FORK_STRIDE;
    }
}
