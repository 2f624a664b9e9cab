package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.UUID;
import io.adgrid.persister.journal.JournalRegistry.AwaitedDirectory;
import org.junit.jupiter.api.Test;

class JournalRegistryTest {

    private static final String ID = "0b1c7e52-4f1e-4d8e-9d43-0a3c2f0a9d11";
    private static final String LIFE = "5da07162-0000-4000-8000-000000000001";

    @Test
    void anAwaitedDirectoryOnThisHostSaysWhetherItsFilesAreThere() {
        AwaitedDirectory killed = new AwaitedDirectory(ID, LIFE, "host-a", "/var/journal/" + ID, false, false);
        assertThat(killed.describe("host-a", true)).isEqualTo(ID + " (life " + LIFE + ", host-a:/var/journal/" + ID
                + ", files present, its process died or was killed)");
        assertThat(killed.describe("host-a", false)).contains(", files MISSING, ");
    }

    @Test
    void anAwaitedDirectoryOnAnotherHostIsNotChecked() {
        AwaitedDirectory d = new AwaitedDirectory(ID, LIFE, "host-b", "/j", false, false);
        assertThat(d.describe("host-a", true)).contains("host-b:/j, files not checked: on another host,");
    }

    @Test
    void aGracefulStopSaysWhetherOnlyItsIdentitiesAreLeftToReplay() {
        assertThat(new AwaitedDirectory(ID, LIFE, "h", "/j", true, false).describe("h", true)).endsWith(", stopped gracefully)");
        assertThat(new AwaitedDirectory(ID, LIFE, "h", "/j", true, true).describe("h", true))
                .endsWith(", stopped gracefully, counts in PostgreSQL: identities only)");
    }

    @Test
    void onlyADirectoryNamedByAUuidIsAJournalDirectory() {
        assertThat(JournalRegistry.directoryId(Path.of("/root", ID))).contains(UUID.fromString(ID));
        assertThat(JournalRegistry.directoryId(Path.of("/root", "lost+found"))).isEmpty();
        assertThat(JournalRegistry.directoryId(Path.of("/root", "root.lock"))).isEmpty();
    }
}
