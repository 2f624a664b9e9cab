package io.adgrid.grid.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import com.hazelcast.core.HazelcastInstance;

/**
 * Real Hazelcast members for tests: a cluster name no one else uses and the port base the test
 * was given ({@code base, base+1, base+2} as the join list). Shut them down with {@link #terminate}.
 */
public final class TestGrid {

    private TestGrid() {
    }

    public static String uniqueClusterName(Class<?> testClass) {
        return "test-" + testClass.getSimpleName() + "-" + UUID.randomUUID();
    }

    /** A data member (not lite) with one synchronous backup and a small partition count. */
    public static GridSettings settings(String clusterName, int portBase) {
        return settings(clusterName, portBase, 3);
    }

    /** As {@link #settings(String, int)}, with {@code seats} addresses in the join list (the members that vote). */
    public static GridSettings settings(String clusterName, int portBase, int seats) {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < seats; i++) {
            members.add("127.0.0.1:" + (portBase + i));
        }
        return new GridSettings(clusterName, members, portBase, false, 31, 1);
    }

    /**
     * A port base for {@link #settings} whose three ports are free now (drawn outside the kernel's
     * ephemeral range, {@link TestPorts#freeRun}), for tests that must not take one of the fixed bases
     * other tests use.
     */
    public static int freePortBase() {
        return TestPorts.freeRun(3);
    }

    /** Starts {@code count} members of one cluster and waits until they see each other. */
    public static List<HazelcastInstance> startMembers(GridSettings settings, int count) {
        List<HazelcastInstance> members = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                members.add(GridMember.start(settings));
            }
            awaitClusterSize(members.get(0), count, Duration.ofSeconds(60));
            return members;
        } catch (RuntimeException | AssertionError e) {
            terminate(members);
            throw e;
        }
    }

    public static void awaitClusterSize(HazelcastInstance member, int size, Duration timeout) {
        Wait.until("cluster of " + size + " members", timeout, () -> member.getCluster().getMembers().size() == size);
        Wait.until("cluster safe", timeout, () -> member.getPartitionService().isClusterSafe());
    }

    /**
     * Members started from now on look for another cluster of their name (a split's other side) from
     * {@code firstSeconds} after their start, then every 2 s: a side started in between, alone on its own
     * list, stays a cluster of its own until then. Undone by {@link #defaultMergeSearch}.
     */
    public static void mergeSearchFrom(int firstSeconds) {
        System.setProperty("hazelcast.merge.first.run.delay.seconds", Integer.toString(firstSeconds));
        System.setProperty("hazelcast.merge.next.run.delay.seconds", "2");
    }

    public static void defaultMergeSearch() {
        System.clearProperty("hazelcast.merge.first.run.delay.seconds");
        System.clearProperty("hazelcast.merge.next.run.delay.seconds");
    }

    /**
     * Cuts {@code lone} off from {@code others} as a network split or a long pause would: each side
     * takes the other for dead and goes on as a cluster of its own (until Hazelcast's merge search
     * finds the other side, see {@link #mergeSearchFrom}).
     */
    public static void cutOff(HazelcastInstance lone, List<HazelcastInstance> others, Duration timeout) {
        // The others first, all of them, so they agree on a master among themselves; then the lone one.
        others.forEach(other -> suspect(other, lone));
        Wait.until("the others without it", timeout, () -> others.stream().allMatch(o -> o.getCluster().getMembers().size() == others.size()));
        others.forEach(other -> suspect(lone, other));
        Wait.until("the lone member on its own", timeout, () -> lone.getCluster().getMembers().size() == 1);
    }

    /** {@code member} takes {@code other} for dead, as after missed heartbeats. */
    private static void suspect(HazelcastInstance member, HazelcastInstance other) {
        UUID id = other.getCluster().getLocalMember().getUuid();
        member.getCluster().getMembers().stream().filter(m -> m.getUuid().equals(id)).findFirst().ifPresent(m ->
                ((com.hazelcast.instance.impl.HazelcastInstanceProxy) member).getOriginal().node.getClusterService()
                        .suspectMember(m, "cut off by the test", true));
    }

    /** Stops members at once (no graceful migration: tests do not need it). */
    public static void terminate(List<HazelcastInstance> members) {
        for (HazelcastInstance m : members) {
            if (m != null && m.getLifecycleService().isRunning()) {
                m.getLifecycleService().terminate();
            }
        }
    }
}
