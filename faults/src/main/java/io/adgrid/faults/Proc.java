package io.adgrid.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One AdGrid process slot (m1, g1, r, …): the command it starts with, and the processes running it
 * now, if any. Each start appends to the slot's log file, so a run's logs show every life.
 *
 * <p>Under a launcher that forks (as Debian's faketime wrapper did) the JVM is the launcher's child,
 * and it can outlive it: a launcher that dies on SIGTERM leaves its JVM to init (issue 18, seed 23: a
 * gateway taken for stopped held its catalog lock against every start after it). So a slot is alive while any process it started,
 * or that one started, is; and it stops them all.
 */
final class Proc {

    final String name;
    private final List<String> command;
    private final Path log;
    private volatile Process process;
    /** The processes of the current start seen so far: the launcher and whatever it started, orphaned or not. */
    private final Set<ProcessHandle> tree = ConcurrentHashMap.newKeySet();
    private volatile boolean paused;
    private int starts;

    Proc(String name, List<String> command, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.log = log;
    }

    /** Starts the slot's command, under {@code launcher} (e.g. {@code ip netns exec}) when given. */
    synchronized void start(List<String> launcher, Map<String, String> env) throws IOException {
        if (alive()) {
            throw new IllegalStateException(name + " is running");
        }
        List<String> c = new ArrayList<>(launcher);
        c.addAll(command);
        Files.writeString(log, "\n=== start " + (++starts) + " of " + name + (launcher.isEmpty() ? "" : " under " + launcher)
                + (env.isEmpty() ? "" : " with " + env) + " at "
                + java.time.Instant.now() + " ===\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
        tree.clear();
        tree.add(process.toHandle());
        paused = false;
    }

    void start() throws IOException {
        start(List.of(), Map.of());
    }

    boolean alive() {
        return !living().isEmpty();
    }

    /** The slot's processes still running, after adding the launcher's descendants as they are now. */
    private List<ProcessHandle> living() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(tree::add);
        }
        tree.removeIf(h -> !h.isAlive());
        return List.copyOf(tree);
    }

    /** How the process ended ("exit status N"), or "never started". */
    String exitStatus() {
        Process p = process;
        return p == null ? "never started" : p.isAlive() ? "running" : "exit status " + p.exitValue();
    }

    /** The last non-blank line of the slot's log (why a process that exited did). */
    String lastLine() {
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i);
                }
            }
            return "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    Path log() {
        return log;
    }

    void kill() throws InterruptedException {
        List<ProcessHandle> running = living();
        if (!running.isEmpty()) {
            if (paused) {
                signal("CONT");
            }
            running.forEach(ProcessHandle::destroyForcibly);
            awaitExit(running, 30);
        }
        paused = false;
    }

    /** SIGTERM to every process of the slot and waits; SIGKILL if any has not exited in time. */
    boolean terminate(long seconds) throws InterruptedException {
        List<ProcessHandle> running = living();
        if (running.isEmpty()) {
            return true;
        }
        if (paused) {
            resume();
        }
        running.forEach(ProcessHandle::destroy);
        if (awaitExit(running, seconds)) {
            return true;
        }
        kill();
        return false;
    }

    private static boolean awaitExit(List<ProcessHandle> processes, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (ProcessHandle h : processes) {
            try {
                h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                return false;
            }
        }
        return true;
    }

    void pause() {
        if (alive()) {
            signal("STOP");
            paused = true;
        }
    }

    void resume() {
        if (alive() && paused) {
            signal("CONT");
        }
        paused = false;
    }

    boolean paused() {
        return paused;
    }

    private void signal(String sig) {
        try {
            List<String> c = new ArrayList<>(List.of("kill", "-" + sig));
            living().forEach(h -> c.add(Long.toString(h.pid())));
            new ProcessBuilder(c).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Data members in the last member list this process logged (lite members are marked {@code lite}); 0 before the first. */
    int dataMembersSeen() {
        String text;
        try {
            text = Files.readString(log);
        } catch (IOException e) {
            return 0;
        }
        int start = text.lastIndexOf("=== start ");
        int list = text.lastIndexOf("Members {size:");
        int end = list < start ? -1 : text.indexOf("\n]", list);
        if (end < 0) {
            return 0;
        }
        return (int) text.substring(list, end).lines().map(String::strip)
                .filter(line -> line.startsWith("Member [") && !line.contains(" lite")).count();
    }

    String tail(int chars) {
        try {
            String text = Files.readString(log);
            return text.substring(Math.max(0, text.length() - chars));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
