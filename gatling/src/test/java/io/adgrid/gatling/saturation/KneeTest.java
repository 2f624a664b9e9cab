package io.adgrid.gatling.saturation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class KneeTest {

    private final Knee knee = new Knee(100, 0.01, 0.95);

    private static LevelStats level(int n, double offered, double ok, double shed, double errors, long p99) {
        return new LevelStats(n, offered, ok + shed + errors, ok, shed, errors, p99 / 4, p99);
    }

    @Test
    void theKneeIsTheFirstLevelWhoseP99ExceedsTheLimit() {
        List<LevelStats> levels = List.of(level(1, 1000, 1000, 0, 0, 8), level(2, 2000, 2000, 0, 0, 40), level(3, 3000, 3000, 0, 0, 180),
                level(4, 4000, 3000, 0, 0, 900));
        assertThat(knee.find(levels)).isEqualTo(2);
        assertThat(knee.reason(levels.get(2))).contains("p99 180 ms");
        assertThat(LoadLevels.report("t", levels, knee, -1)).contains("Knee at level 3 (offered 3000 req/s)")
                .contains("Highest level that kept up: 2, 2000 req/s offered");
    }

    @Test
    void sheddingOrFailingMoreThanTheLimitIsTheKnee() {
        List<LevelStats> levels = List.of(level(1, 1000, 1000, 0, 0, 8), level(2, 2000, 1900, 100, 0, 20));
        assertThat(knee.find(levels)).isEqualTo(1);
        assertThat(knee.reason(levels.get(1))).contains("shed or failed");
    }

    @Test
    void tooFewSuccessfulAnswersForTheOfferedRateIsTheKnee() {
        LevelStats slow = new LevelStats(1, 1000, 900, 900, 0, 0, 5, 50);
        assertThat(knee.reason(slow)).contains("900 ok/s");
    }

    @Test
    void noKneeWhenEveryLevelKeepsUp() {
        List<LevelStats> levels = List.of(level(1, 1000, 1000, 0, 0, 8), level(2, 2000, 2000, 0, 0, 9));
        assertThat(knee.find(levels)).isEqualTo(-1);
        assertThat(LoadLevels.report("t", levels, knee, -1)).contains("No knee");
    }

    @Test
    void requestsAreAttributedToTheLevelTheyWereSentInNotToRamps() {
        // ramp 0-2 s, level 1 2-12 s, ramp 12-14 s, level 2 14-24 s, ramp, level 3 26-36 s
        LoadLevels levels = new LoadLevels(new double[] {100, 200, 300}, 10_000, 2_000, knee, 1, 1000);
        assertThat(levels.levelAt(0)).isEqualTo(-1);
        assertThat(levels.levelAt(1_999)).isEqualTo(-1);
        assertThat(levels.levelAt(2_000)).isEqualTo(0);
        assertThat(levels.levelAt(11_999)).isEqualTo(0);
        assertThat(levels.levelAt(12_000)).isEqualTo(-1);
        assertThat(levels.levelAt(14_000)).isEqualTo(1);
        assertThat(levels.levelAt(35_999)).isEqualTo(2);
        assertThat(levels.levelAt(36_000)).isEqualTo(-1);
        assertThat(levels.levelAt(-1)).isEqualTo(-1);
    }

    @Test
    void theLoadStopsOneLevelPastTheKnee() {
        // levels of 1 s after ramps of 1 s: level k is sent during [2k+1, 2k+2) s
        LoadLevels levels = new LoadLevels(new double[] {100, 200, 300, 400, 500}, 1_000, 1_000, knee, 1, 1000);
        for (int i = 0; i < 100; i++) {
            levels.record(1_000 + i, 200, 5);   // level 1: fine
            levels.record(3_000 + i, 200, 500); // level 2: p99 500 ms, the knee
            levels.record(5_000 + i, 200, 900); // level 3: one level past it
        }
        assertThat(levels.stoppedAt(2_500_000_000L)).as("level 2 still running").isEqualTo(-1);
        assertThat(levels.stoppedAt(4_500_000_000L)).as("knee seen, one more level to go").isEqualTo(-1);
        assertThat(levels.stoppedAt(6_000_000_000L)).as("one level past the knee").isEqualTo(3);
        assertThat(levels.stoppedAt(9_000_000_000L)).isEqualTo(3);
        assertThat(levels.report("t")).contains("KNEE: p99 509 ms").contains("Stopped the load at level 4: 1 level(s) past the knee").contains("not run");
    }

    @Test
    void theLoadNeverStopsWhenToldNotTo() {
        LoadLevels levels = new LoadLevels(new double[] {100, 200}, 1_000, 1_000, knee, -1, 1000);
        levels.record(1_000, 200, 5_000);
        assertThat(levels.stoppedAt(10_000_000_000L)).isEqualTo(-1);
    }
}
