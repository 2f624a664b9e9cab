package io.adgrid.grid.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Tools a test needs from Debian's packages (faketime, strace, chromium), installed by the test
 * itself, like the embedded PostgreSQL, so that the test command works on a fresh machine: with
 * apt-get, when running as root. A test asserts on {@link #ensure}'s answer and says what to install,
 * so a missing tool fails it rather than skipping it silently.
 */
public final class DebianPackages {

    private DebianPackages() {
    }

    /**
     * Installs {@code packages} unless every one of {@code executables} is there already.
     *
     * @return whether all of {@code executables} are there now
     */
    public static synchronized boolean ensure(List<String> packages, Path... executables) throws IOException, InterruptedException {
        if (present(executables)) {
            return true;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            return false;
        }
        // Test JVMs running at once (the failsafe forks) take turns: apt-get refuses to start while another holds dpkg's lock.
        try (FileChannel lockFile = FileChannel.open(Path.of(System.getProperty("java.io.tmpdir"), "adgrid-debian-packages.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            if (present(executables)) {
                return true;
            }
            String names = String.join(" ", packages);
            ProcessBuilder install = new ProcessBuilder("sh", "-c",
                    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " + names)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
            int exit = install.start().waitFor();
            return exit == 0 && present(executables);
        }
    }

    private static boolean present(Path... executables) {
        for (Path executable : executables) {
            if (!Files.isExecutable(executable)) {
                return false;
            }
        }
        return true;
    }
}
