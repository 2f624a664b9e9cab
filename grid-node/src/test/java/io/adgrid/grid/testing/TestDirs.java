package io.adgrid.grid.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Temporary directories for a test's processes (var dirs, PostgreSQL data), deleted when the test JVM
 * exits: a process test's var dir holds the catalog's memory-mapped files (about 160 MB), and left
 * behind, one suite run filled about 3 GB of /tmp, until a busy box ran out of disk mid-run. Unlike
 * JUnit's {@code @TempDir} it outlives the test method, for the tests that restart a process on the
 * same directory from a helper or across methods.
 */
public final class TestDirs {

    private static final List<Path> CREATED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestDirs::deleteAll, "test-dirs-cleanup"));
    }

    private TestDirs() {
    }

    /** A new empty directory under the system's temporary directory, removed with everything in it at JVM exit. */
    public static Path temporary(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            synchronized (CREATED) {
                CREATED.add(dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteAll() {
        synchronized (CREATED) {
            CREATED.forEach(TestDirs::deleteQuietly);
        }
    }

    /** Best effort: a file a process still writes may come back; what cannot be deleted stays. */
    static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // left behind
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // gone already, or unreadable
        }
    }
}
