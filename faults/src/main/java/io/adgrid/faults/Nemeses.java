package io.adgrid.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What each {@link Schedule.Nemesis} does to the {@link Cluster}, and how it is undone. */
final class Nemeses {

    private static final Duration BACK = Duration.ofSeconds(400);

    private Nemeses() {
    }

    static void run(Schedule.Step step, Cluster cluster, java.io.PrintStream out) throws Exception {
        List<Proc> targets = new ArrayList<>();
        for (String t : step.targets()) {
            Proc p = cluster.proc(t);
            if (p != null) {
                targets.add(p);
            }
        }
        switch (step.nemesis()) {
            case KILL, KILL_TWO, KILL_ALL_MEMBERS, KILL_EVERYTHING, KILL_GATEWAY -> {
                for (Proc p : targets) {
                    p.resume();
                }
                // SIGKILL to each first, then wait: as close to "at once" as separate processes get.
                List<Thread> killers = new ArrayList<>();
                for (Proc p : targets) {
                    Thread k = new Thread(() -> {
                        try {
                            p.kill();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    k.start();
                    killers.add(k);
                }
                for (Thread k : killers) {
                    k.join();
                }
                TimeUnit.SECONDS.sleep(step.holdSeconds());
                for (Proc p : targets) {
                    p.start();
                }
                awaitBack(cluster, targets, out);
            }
            case PAUSE -> {
                Proc p = targets.get(0);
                p.pause();
                TimeUnit.SECONDS.sleep(step.holdSeconds());
                p.resume();
            }
            case RESTART -> {
                restart(targets.get(0), List.of(), Map.of(), out);
                awaitBack(cluster, targets, out);
            }
            case ROLLING_RESTART -> {
                for (Proc p : targets) {
                    restart(p, List.of(), Map.of(), out);
                    awaitBack(cluster, List.of(p), out);
                }
            }
            case POSTGRES_STOP -> {
                cluster.postgres.stop(step.param() == 1);
                TimeUnit.SECONDS.sleep(step.holdSeconds());
                cluster.postgres.start();
            }
            case CLOCK_SKEW -> {
                Proc p = targets.get(0);
                String offset = (step.param() > 0 ? "+" : "") + step.param() + "s";
                // libfaketime preloaded, not Debian's faketime wrapper: a wrapper killed by a signal leaves a
                // semaphore named after its pid in /dev/shm, and a later one with that pid refuses to start.
                // Monotonic clocks shifted by the same constant harm no JVM; FAKETIME_DONT_FAKE_MONOTONIC=1
                // made libfaketime 0.9.10 burn 8x the CPU (a skewed member took 96 % of a core: docs/TESTING.md).
                restart(p, List.of(), Map.of("LD_PRELOAD", Tools.libfaketime().toString(), "FAKETIME", offset), out);
                awaitBack(cluster, targets, out);
                TimeUnit.SECONDS.sleep(step.holdSeconds());
                restart(p, List.of(), Map.of(), out);
                awaitBack(cluster, targets, out);
            }
            case DISK_FULL -> {
                Path root = cluster.journalRoots.get(step.targets().get(0));
                if (!cluster.tmpfs.contains(root)) {
                    out.println("faults: no tmpfs on " + root + " (not root?): DISK_FULL skipped");
                    return;
                }
                fill(root.resolve(".ballast"));
                TimeUnit.SECONDS.sleep(step.holdSeconds());
                Files.deleteIfExists(root.resolve(".ballast"));
            }
            case START_FAILS -> {
                Proc x = cluster.extraMember(step.targets().get(1));
                x.start();
                TimeUnit.SECONDS.sleep(step.param());
                x.kill();
            }
            case SHARED_JOURNAL_ROOT -> {
                Proc other = cluster.otherDeployment(step.targets().get(1));
                other.start();
                TimeUnit.SECONDS.sleep(step.holdSeconds());
                other.terminate(60);
            }
            case PARTITION -> {
                Network.Cut how = Network.Cut.of(step.param());
                try {
                    for (String member : step.targets()) {
                        cluster.network.cut(member, how);
                    }
                    TimeUnit.SECONDS.sleep(step.holdSeconds());
                } finally {
                    for (String member : step.targets()) {
                        cluster.network.heal(member);
                    }
                }
                // The merge is Hazelcast's (its merge runs every 15 s here): the step holds the members until they are back.
                awaitMerged(cluster, targets, out);
            }
            case PROMOTE -> {
                cluster.postgres.promote(step.param() == 1, step.holdSeconds());
                out.println("faults: the standby is primary now, on port " + cluster.postgres.port);
            }
        }
    }

    private static void restart(Proc p, List<String> launcher, Map<String, String> env, java.io.PrintStream out) throws Exception {
        if (!p.terminate(90)) {
            out.println("faults: " + p.name + " did not exit within 90 s of SIGTERM; killed");
        }
        p.start(launcher, env);
    }

    /**
     * Waits until restarted members have joined and restarted gateways answer; a slow return is noted,
     * not fatal. A process that exits meanwhile (a member whose start met PostgreSQL stopped, say) is
     * not waited for: the heal starts it again, as a supervisor would.
     */
    private static void awaitBack(Cluster cluster, List<Proc> targets, java.io.PrintStream out) throws InterruptedException {
        try {
            Cluster.await(targets.stream().map(p -> p.name).toList() + " back", BACK, () -> targets.stream().allMatch(p -> {
                if (!p.alive()) {
                    return true;
                }
                if (cluster.members.containsValue(p)) {
                    return p.dataMembersSeen() > 0;
                }
                return Cluster.status(cluster.gatewayUrls.get(p.name) + "/healthz") > 0;
            }));
        } catch (IllegalStateException e) {
            out.println("faults: " + e.getMessage());
        }
        for (Proc p : targets) {
            if (!p.alive()) {
                out.println("faults: " + p.name + " exited while starting (its log says why); the heal starts it again");
            }
        }
    }

    /**
     * Waits until each cut member sees a majority again (not every member: another step may have
     * killed one meanwhile); a slow merge is noted, not fatal (the heal waits for every member).
     */
    private static void awaitMerged(Cluster cluster, List<Proc> targets, java.io.PrintStream out) throws InterruptedException {
        try {
            Cluster.await(targets.stream().map(p -> p.name).toList() + " merged", BACK,
                    () -> targets.stream().allMatch(p -> !p.alive() || p.dataMembersSeen() >= cluster.members.size() / 2 + 1));
        } catch (IllegalStateException e) {
            out.println("faults: " + e.getMessage());
        }
    }

    /** Writes until the file system is full. */
    private static void fill(Path ballast) throws IOException {
        byte[] chunk = new byte[1 << 16];
        try (OutputStream o = Files.newOutputStream(ballast)) {
            while (true) {
                o.write(chunk);
            }
        } catch (IOException full) {
            // ENOSPC: the point
        }
    }

    static void freeDisks(Cluster cluster) throws IOException {
        for (Path root : cluster.journalRoots.values()) {
            Files.deleteIfExists(root.resolve(".ballast"));
        }
    }
}
