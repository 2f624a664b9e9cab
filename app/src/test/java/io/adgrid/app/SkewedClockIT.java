package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CI on 2026-12-07: {@code ReplayWindowIT}'s reporting process, started under Debian's faketime wrapper,
 * exited at once with {@code faketime: sem_open: File exists}. A wrapper killed by a signal leaves its
 * semaphore, named after its pid, in /dev/shm, and the next wrapper to get that pid refuses to start.
 */
class SkewedClockIT {

    private static final int PIDS_AHEAD = 3000;

    @BeforeAll
    static void installFaketime() throws Exception {
        SkewedClock.install();
    }

    @Test
    void aSkewedProcessStartsBesideTheSemaphoresKilledWrappersLeft() throws Exception {
        Duration skew = Duration.ofSeconds(420);
        List<Path> leftovers = leftoversOfKilledWrappers();
        try {
            long before = System.currentTimeMillis() / 1000;
            List<String> command = new ArrayList<>(SkewedClock.launcher(skew));
            command.addAll(List.of("date", "+%s"));
            Process date = new ProcessBuilder(command).redirectErrorStream(true).start();
            assertThat(date.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(date.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            long after = System.currentTimeMillis() / 1000;
            assertThat(date.exitValue()).as("exit of %s, which printed: %s", command, out).isZero();
            assertThat(Long.parseLong(out) - skew.toSeconds()).as("its clock, less the skew").isBetween(before, after);
        } finally {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * What killed wrappers leave, for the next pids this box hands out: the process started next gets one
     * of them on any box that does not start thousands of processes meanwhile (files made here fork none).
     */
    private static List<Path> leftoversOfKilledWrappers() throws IOException {
        // One read of a line: sysctl files answer a read at an offset past 0 with nothing, and readString reads byte by byte first.
        long last = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/ns_last_pid")).get(0).strip());
        long max = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/pid_max")).get(0).strip());
        List<Path> made = new ArrayList<>();
        for (long i = 1; i <= PIDS_AHEAD; i++) {
            long pid = (last + i) % max;
            try {
                made.add(Files.createFile(Path.of("/dev/shm/sem.faketime_sem_" + pid)));
            } catch (FileAlreadyExistsException alreadyLeft) {
                // A real leftover: left as found.
            }
        }
        return made;
    }
}
