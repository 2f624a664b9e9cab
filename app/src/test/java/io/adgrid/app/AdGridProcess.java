package io.adgrid.app;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.adgrid.faults.ClassDataSharing;
import io.adgrid.grid.testing.TestPorts;
import io.adgrid.grid.testing.Wait;

/**
 * One AdGrid process started from the executable jar, for tests whose fault is a real process
 * dying: SIGTERM ({@link #terminate}) or SIGKILL ({@link #kill}). Its output goes to a log file.
 */
final class AdGridProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private AdGridProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static AdGridProcess start(String role, List<String> flags) throws IOException {
        return start(List.of(), List.of(), role, flags);
    }

    /**
     * @param launcher what the java command runs under (e.g. {@code ip netns exec NAME}), or empty
     * @param jvmArgs  extra JVM options (system properties)
     */
    static AdGridProcess start(List<String> launcher, List<String> jvmArgs, String role, List<String> flags) throws IOException {
        Path jar = Path.of("target", "adgrid-exec.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("no " + jar.toAbsolutePath() + ": mvn package builds it before the integration tests");
        }
        List<String> options = new ArrayList<>(List.of(
                // C1 only, like the test JVMs (the parent pom's adgrid.test.jit): a start takes about 40 % less on 2 cores.
                // The serial collector, like the fault runner's processes: a start costs about 15 % less CPU than with G1.
                "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dhazelcast.phone.home.enabled=false"));
        options.addAll(moduleFlags());
        ClassDataSharing.Launch launch = ClassDataSharing.launch(jar, options, System.out);
        Path log = Files.createTempFile("adgrid-" + role, ".log");
        List<String> command = new ArrayList<>(launcher);
        command.add(ClassDataSharing.java());
        command.addAll(options);
        command.addAll(launch.jvmOptions());
        command.addAll(jvmArgs);
        command.addAll(List.of("-jar", launch.jar().toString(), role));
        command.addAll(flags);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new AdGridProcess(p, log);
    }

    /**
     * The module flags this JVM got from the build (the parent pom's {@code adgrid.jvm.flags}, the
     * same as the launcher's): Chronicle Map in the gateway needs them, as in production.
     */
    private static List<String> moduleFlags() {
        List<String> flags = new ArrayList<>();
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports") || arg.startsWith("--add-modules")) {
                flags.add(arg);
                if (!arg.contains("=") && i + 1 < args.size()) {
                    flags.add(args.get(++i));
                }
            } else if (arg.startsWith("-Dchronicle.")) {
                flags.add(arg);
            }
        }
        return flags;
    }

    static int freePort() throws IOException {
        return TestPorts.free();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** True while the process runs; one that exited fails the test at once, with the end of its log. */
    boolean assertRunning() {
        if (process.isAlive()) {
            return true;
        }
        String text;
        try {
            text = log();
        } catch (IOException e) {
            text = e.toString();
        }
        throw new AssertionError("an AdGrid process exited (code " + process.exitValue() + "), log " + log + ":\n"
                + text.substring(Math.max(0, text.length() - 4000)));
    }

    /**
     * Data members in the last member list this process logged (Hazelcast logs it on every change
     * and marks lite members {@code lite}); 0 before the first. Counting them, rather than looking
     * for {@code "Members {size:3,"}, holds whether a lite member joined before the last data member.
     */
    int dataMembersSeen() {
        String text;
        try {
            text = log();
        } catch (IOException e) {
            return 0;
        }
        int list = text.lastIndexOf("Members {size:");
        int end = list < 0 ? -1 : text.indexOf("\n]", list);
        if (end < 0) {
            return 0;
        }
        return (int) text.substring(list, end).lines().map(String::strip)
                .filter(line -> line.startsWith("Member [") && !line.contains(" lite")).count();
    }

    /**
     * Waits until every one of {@code nodes} runs and sees all of them as data members; a timeout
     * fails with the end of each log, so that a join that never happened can be read in CI output.
     */
    static void awaitDataMembers(List<AdGridProcess> nodes, Duration timeout) {
        try {
            Wait.until(nodes.size() + " data members see each other", timeout,
                    () -> nodes.stream().allMatch(p -> p.assertRunning() && p.dataMembersSeen() == nodes.size()));
        } catch (AssertionError timedOut) {
            StringBuilder logs = new StringBuilder(timedOut.getMessage());
            for (AdGridProcess p : nodes) {
                String text;
                try {
                    text = p.log();
                } catch (IOException e) {
                    text = e.toString();
                }
                logs.append("\n--- ").append(p.log).append(" (end) ---\n").append(text.substring(Math.max(0, text.length() - 3000)));
            }
            throw new AssertionError(logs.toString(), timedOut);
        }
    }

    /** Waits for the process to end by itself. */
    boolean waitForExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** The exit code once the process has ended. */
    int exitValue() {
        return process.exitValue();
    }

    Path logFile() {
        return log;
    }

    /** The operating system's id of the process (for {@code ip netns exec} the JVM's: it execs the command). */
    long pid() {
        return process.pid();
    }

    /** SIGTERM, then waits for the exit. */
    boolean terminate(long seconds) throws InterruptedException {
        process.destroy();
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** SIGKILL to every process first, then waits for each: as close to "all at once" as a test gets. */
    static void killAll(List<AdGridProcess> processes) throws InterruptedException {
        processes.forEach(AdGridProcess::killTree);
        for (AdGridProcess p : processes) {
            p.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGKILL: no hook, no flush, no goodbye to the cluster. */
    void kill() throws InterruptedException {
        killTree();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * SIGKILL to the process and everything it started: under a launcher ({@code faketime}, {@code ip
     * netns exec}) the JVM may be a child, and one left behind kept both cores busy for the rest of a
     * CI run.
     */
    private void killTree() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
