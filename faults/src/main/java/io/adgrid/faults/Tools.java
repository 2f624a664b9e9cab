package io.adgrid.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Debian tools a schedule's nemeses run, checked before the cluster starts. A step whose tool is
 * missing would fail midway and leave a run that played another schedule than its seed names (a
 * CLOCK_SKEW without faketime restarts nobody). As root with apt-get, the tool is installed, as the
 * tests do; otherwise the run stops before it begins and says what to install.
 */
final class Tools {

    private Tools() {
    }

    static void ensureFor(Schedule schedule, java.io.PrintStream out) throws IOException, InterruptedException {
        boolean skews = schedule.steps().stream().anyMatch(s -> s.nemesis() == Schedule.Nemesis.CLOCK_SKEW);
        if (skews) {
            ensure("faketime", Path.of("/usr/bin/faketime"), out);
            libfaketime(); // found now, or the run stops before it begins rather than at its first CLOCK_SKEW
        }
        if (schedule.nemesesUsed().contains(Schedule.Nemesis.PARTITION) && !Network.available()) {
            throw new IllegalStateException("this schedule partitions the network, which needs root and iproute2 (ip netns):"
                    + " run as root, or leave partition out with --nemeses");
        }
        if (schedule.nemesesUsed().contains(Schedule.Nemesis.PROMOTE)
                && (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Postgres.BIN.resolve("pg_basebackup")))) {
            throw new IllegalStateException("this schedule promotes a PostgreSQL standby, which needs root and " + Postgres.BIN.resolve("pg_basebackup")
                    + ": run as root, or leave promote out with --nemeses");
        }
    }

    /** libfaketime, in whichever multiarch directory Debian's faketime package put it. */
    static Path libfaketime() throws IOException {
        try (java.util.stream.Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.map(d -> d.resolve("faketime/libfaketime.so.1")).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IllegalStateException("libfaketime.so.1 is missing under /usr/lib: apt-get install faketime"));
        }
    }

    private static void ensure(String debianPackage, Path executable, java.io.PrintStream out) throws IOException, InterruptedException {
        if (Files.isExecutable(executable)) {
            return;
        }
        if ("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            out.println("faults: installing " + debianPackage + " (apt-get), which this schedule's nemeses run");
            int exit = new ProcessBuilder("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " + debianPackage)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start().waitFor();
            if (exit == 0 && Files.isExecutable(executable)) {
                return;
            }
        }
        throw new IllegalStateException("this schedule needs " + executable + ": install Debian's " + debianPackage
                + " (apt-get install " + debianPackage + "), or leave its nemesis out with --nemeses");
    }
}
