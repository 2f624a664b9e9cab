package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import io.adgrid.grid.testing.MovableClock;
import io.adgrid.persister.journal.StandbyRetention.Replication;
import org.junit.jupiter.api.Test;

class StandbyRetentionTest {

    private static final Path FILE = Path.of("journal", "28000000.journal");

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T12:00:00Z"));
    private final StandbyRetention retention = new StandbyRetention(clock);

    @Test
    void aFileGoesOnceEveryStandbyReplayedThePositionItWasFoundWrittenAt() {
        assertThat(retention.replicated(FILE, new Replication(1_000, 999L))).as("the standby is one byte behind").isFalse();
        // Later readings see the primary further on: the file still waits only for position 1,000.
        assertThat(retention.replicated(FILE, new Replication(5_000, 1_200L))).isTrue();
    }

    @Test
    void withoutAKnownStandbyPositionAFileGoesOnceTheHorizonPassedSinceItWasFirstFoundWritten() {
        retention.horizon(Duration.ofMinutes(30));
        assertThat(retention.replicated(FILE, new Replication(1_000, null))).isFalse();
        clock.advance(Duration.ofMinutes(29));
        assertThat(retention.replicated(FILE, new Replication(2_000, null))).isFalse();
        clock.advance(Duration.ofMinutes(1));
        assertThat(retention.replicated(FILE, new Replication(3_000, null))).isTrue();
    }

    @Test
    void withoutAHorizonAWrittenFileGoesAtOnce() {
        assertThat(retention.replicated(FILE, new Replication(1_000, null))).isTrue();
    }

    @Test
    void aFileForgottenAfterItsDeletionIsAnotherFileWhenItsNameComesBack() {
        retention.horizon(Duration.ofMinutes(30));
        retention.replicated(FILE, new Replication(1_000, null));
        clock.advance(Duration.ofMinutes(31));
        retention.forget(FILE);
        assertThat(retention.replicated(FILE, new Replication(2_000, null))).as("first found written just now").isFalse();
        assertThat(retention.replicated(FILE, new Replication(3_000, 1_500L))).as("written at 2,000, not at 1,000").isFalse();
    }
}
