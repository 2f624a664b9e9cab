package io.adgrid.gatling.budget;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SignalSummaryTest {

    private static Trial.Outcome outcome(int trial, Long delay, long overshoot, long over, long expected) {
        return new Trial.Outcome(trial, 1_000_000, 1_000 + over, 500, delay == null ? OptionalLong.empty() : OptionalLong.of(delay),
                overshoot, over, expected, List.of());
    }

    @Test
    void percentilesRankLikePacingSignal() {
        SignalSummary s = new SignalSummary("t", 4000, 100, 2000);
        long[] delays = {300, 100, 200, 500, 400};
        for (int i = 0; i < delays.length; i++) {
            s.add(outcome(i + 1, delays[i], 0, 10, 10));
        }
        // 5 delays: p50 is floor(0.5 * 4) = the 3rd, p99 ceil(0.99 * 4) = the 5th
        assertThat(s.p50()).hasValue(300);
        assertThat(s.p99()).hasValue(500);
        assertThat(s.delays()).containsExactly(100L, 200L, 300L, 400L, 500L);
    }

    @Test
    void p99OfThirtyIsTheLargestAndP50TheFifteenth() {
        SignalSummary s = new SignalSummary("t", 4000, 100, 2000);
        for (int i = 1; i <= 30; i++) {
            s.add(outcome(i, (long) i * 10, 0, 0, 0));
        }
        assertThat(s.p50()).hasValue(150);
        assertThat(s.p99()).hasValue(300);
    }

    @Test
    void missedSignalsOvershootAndMismatchesAreCounted() {
        SignalSummary s = new SignalSummary("t", 4000, 100, 2000);
        s.add(outcome(1, 120L, 0, 400, 400));
        s.add(outcome(2, null, 2500, 399, 400));
        s.add(outcome(3, 80L, -2500, 400, 400));
        assertThat(s.missedSignals()).isEqualTo(1);
        assertThat(s.overshootMicros()).isEqualTo(2500);
        assertThat(s.overBudgetMismatches()).isEqualTo(1);
        assertThat(s.p50()).hasValue(80);
        assertThat(s.line()).contains("trials=3 ", "signals=2 ", "p50_ms=80 ", "p99_ms=120 ", "overshoot_micros=2500 ",
                "over_budget_mismatches=1");
    }

    @Test
    void achievedRateIsAllSentOverAllSendingTime() {
        SignalSummary s = new SignalSummary("t", 4000, 100, 2000);
        s.add(outcome(1, 100L, 0, 0, 0)); // 1000 in 500 ms
        s.add(outcome(2, 100L, 0, 1000, 1000)); // 2000 in 500 ms
        assertThat(s.achievedRate()).isEqualTo(3000.0);
    }

    @Test
    void noTrialIsNoPassAndNoPercentile() {
        SignalSummary s = new SignalSummary("t", 4000, 100, 2000);
        assertThat(s.passed()).isFalse();
        assertThat(s.p99()).isEmpty();
        assertThat(s.line()).contains("p50_ms=- p99_ms=-");
    }
}
