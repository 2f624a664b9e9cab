package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcTest {

    @TempDir
    Path dir;

    /**
     * Issue 18, seed 23: a gateway started under a launcher (faketime) that died on SIGTERM while its JVM
     * lived on. The slot took the process for stopped, and every start after it met the JVM's catalog lock.
     */
    @Test
    void aChildThatOutlivesItsLauncherIsStillTheSlotsProcessAndIsStoppedWithIt() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        // The launcher waits for its child, which ignores SIGTERM (as a JVM stuck in its shutdown would).
        Path child = Files.writeString(dir.resolve("child.sh"), "trap '' TERM; echo $$ > " + pidFile + "; exec sleep 300\n");
        Proc slot = new Proc("g9", List.of("sh", "-c", "sh " + child + " & wait"), dir.resolve("g9.log"));
        slot.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!(Files.exists(pidFile) && !Files.readString(pidFile).isBlank()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long childPid = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(slot.alive()).isTrue();

        boolean stoppedBySigterm = slot.terminate(2);

        Optional<ProcessHandle> left = ProcessHandle.of(childPid).filter(ProcessHandle::isAlive);
        left.ifPresent(ProcessHandle::destroyForcibly);
        assertThat(left).as("the child left running").isEmpty();
        assertThat(stoppedBySigterm).as("it had to be killed").isFalse();
        assertThat(slot.alive()).isFalse();
    }
}
