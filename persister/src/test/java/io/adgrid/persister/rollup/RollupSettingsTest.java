package io.adgrid.persister.rollup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The job's own check of its retentions (the settings check refuses the same at start, naming the variables). */
class RollupSettingsTest {

    @Test
    void daysAreKeptForeverUnlessADayRetentionIsGiven() {
        assertThat(RollupJob.Settings.DEFAULT.dayRetention()).isNull();
        assertThat(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(400), Duration.ofMinutes(5)).dayRetention()).isNull();
        assertThat(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(400), Duration.ofMinutes(5), Duration.ofDays(400))
                .dayRetention()).isEqualTo(Duration.ofDays(400));
    }

    @Test
    void aDayRetentionShorterThanTheHourOrMinuteRetentionIsRefused() {
        assertThatThrownBy(() -> new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(400), Duration.ofMinutes(5), Duration.ofDays(399)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least the hour retention");
        assertThatThrownBy(() -> new RollupJob.Settings(Duration.ofDays(60), Duration.ofDays(31), Duration.ofMinutes(5), Duration.ofDays(45)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minute retention");
        assertThatThrownBy(() -> new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(400), Duration.ofMinutes(5), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
