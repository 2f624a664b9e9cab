package io.adgrid.reporting.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.testing.DebianPackages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated admin token file is owner-only from the instant it exists (issue 20): another user
 * of the host must never find it readable, not even between its creation and a chmod. The process
 * that makes it runs under strace, so the test sees the system calls themselves: the open that
 * creates the file asks for mode 0600, and nothing changes its mode afterwards.
 */
class AdminTokenFileIT {

    @TempDir
    Path dir;

    @Test
    void theTokenFileIsCreatedOwnerOnlyAndNeverChmodded() throws Exception {
        // Installed by the test on a fresh machine (as root); elsewhere it says what to install.
        assumeTrue(DebianPackages.ensure(List.of("strace"), Path.of("/usr/bin/strace")), "strace is not installed (apt-get install strace)");
        Path var = dir.resolve("var");
        Path trace = dir.resolve("trace.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // umask 022, the usual one: a file created without an explicit mode would be 0644.
        List<String> command = List.of("sh", "-c", "umask 022; exec \"$@\"", "sh",
                "/usr/bin/strace", "-f", "-qq", "-o", trace.toString(), "-e", "trace=open,openat,creat,chmod,fchmod,fchmodat",
                java, "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), Create.class.getName(), var.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the token maker ended").isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("out.txt"))).isZero();

        Path token = var.resolve(AdminToken.FILE);
        List<String> calls = Files.readAllLines(trace).stream().filter(l -> l.contains(token.toString())).toList();
        assertThat(calls).as("system calls naming the token file").isNotEmpty();
        // The file did not exist: the first open that may create it is the one that did (later ones find it).
        String creating = calls.stream().filter(l -> l.contains("O_CREAT")).findFirst().orElseThrow();
        // strace -f splits a call another thread interrupts: "…, 0600 <unfinished ...>", then "<… resumed>) = 3".
        assertThat(creating).as("the open that creates it").containsPattern(", 0600(\\)| <unfinished \\.\\.\\.>)");
        assertThat(calls).as("no chmod after the creation").noneMatch(l -> l.contains("chmod"));
        assertThat(Files.readAllLines(trace)).as("no fchmod of an open file either").noneMatch(l -> l.contains("fchmod("));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token))).isEqualTo("rw-------");
        assertThat(Files.readString(token).trim()).hasSizeGreaterThanOrEqualTo(32);
    }

    @Test
    void aStoredTokenIsKeptAcrossStarts() {
        AdminToken first = AdminToken.configuredOrStored(null, dir);
        String stored = readToken();

        AdminToken again = AdminToken.configuredOrStored("", dir);

        assertThat(again.allows("Bearer " + stored)).isTrue();
        assertThat(first.allows("Bearer " + stored)).isTrue();
        assertThat(again.allows("Bearer " + stored + "x")).isFalse();
    }

    private String readToken() {
        try {
            return Files.readString(dir.resolve(AdminToken.FILE)).trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Run in its own JVM under strace: makes the token file in the given var directory. */
    public static final class Create {
        public static void main(String[] args) {
            AdminToken.configuredOrStored(null, Path.of(args[0]));
        }
    }
}
