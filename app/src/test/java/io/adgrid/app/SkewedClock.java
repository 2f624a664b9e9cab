package io.adgrid.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import io.adgrid.grid.testing.DebianPackages;

/**
 * A launcher that runs a command with its clock moved by a constant: libfaketime (Debian's faketime
 * package) preloaded through {@code env}, which execs the command, so the process started is the command.
 *
 * <p>Not Debian's {@code faketime} wrapper: it names a semaphore and a shared-memory object after its
 * own pid, and a wrapper killed by a signal leaves them in /dev/shm. A later wrapper that got the same
 * pid refused to start ({@code faketime: sem_open: File exists}): CI failed so on 2026-12-07. Monotonic
 * clocks are moved too, by the same constant, which harms no JVM; {@code FAKETIME_DONT_FAKE_MONOTONIC=1}
 * made libfaketime 0.9.10 burn 8x the CPU (docs/TESTING.md).
 */
final class SkewedClock {

    private SkewedClock() {
    }

    /** Installs Debian's faketime package (as root, like the tests' other tools); fails the test, naming it, if it cannot. */
    static void install() throws IOException, InterruptedException {
        if (!DebianPackages.ensure(List.of("faketime"), Path.of("/usr/bin/faketime")) || library().isEmpty()) {
            throw new IllegalStateException("libfaketime is needed for a skewed clock: apt-get install faketime");
        }
    }

    /** libfaketime, wherever the machine's multiarch directory is, once the package is installed. */
    static Optional<Path> library() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.map(d -> d.resolve("faketime/libfaketime.so.1")).filter(Files::isRegularFile).findFirst();
        }
    }

    /** What to run a command under for its clock to read {@code skew} away from the true one. */
    static List<String> launcher(Duration skew) throws IOException {
        Path library = library().orElseThrow(() -> new IllegalStateException("libfaketime is missing: apt-get install faketime"));
        return List.of("env", "LD_PRELOAD=" + library, "FAKETIME=" + (skew.isNegative() ? "" : "+") + skew.toSeconds() + "s");
    }
}
