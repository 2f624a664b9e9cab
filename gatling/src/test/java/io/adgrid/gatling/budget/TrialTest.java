package io.adgrid.gatling.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TrialTest {

    private static final long UNIT = 2_500; // CPM 2.50

    /** 1000 to the crossing, 20 % margin, 1000 events/s, a 30 s signal timeout. */
    private static Trial trial(long spent) {
        return new Trial(1, spent, UNIT, 1000, 0.2, 1000, 30_000);
    }

    @Test
    void theBudgetIsTheSpendSoFarPlusCrossImpressions() {
        assertThat(trial(0).budgetMicros()).isEqualTo(2_500_000);
        assertThat(trial(3_250_000).budgetMicros()).isEqualTo(5_750_000);
    }

    @Test
    void theDelayRunsFromTheAnswerOfTheBodyHoldingTheCrossingImpressionToTheSignal() {
        Trial t = trial(0);
        t.start(0);
        for (int i = 1; i <= 3; i++) {
            t.answered(300, 100L * i); // 300, 600, 900: not yet crossed
        }
        assertThat(t.delayMillis()).isEmpty();
        t.answered(300, 400); // 1200: this body holds the 1000th impression
        t.answered(300, 500);
        t.exhausted(650);
        assertThat(t.delayMillis()).hasValue(250);
    }

    @Test
    void aSignalThatArrivedBeforeTheCrossingBodysAnswerIsANegativeDelay() {
        Trial t = trial(0);
        t.start(0);
        t.answered(1000, 100);
        t.exhausted(90); // stamped on arrival, looked at after the answer
        assertThat(t.delayMillis()).hasValue(-10);
    }

    @Test
    void sendingGoesOnUntilTheMarginPastTheCrossingOnceTheSignalWasHeard() {
        Trial t = trial(0);
        t.start(0);
        t.answered(1000, 100);
        assertThat(t.sending(100)).isTrue(); // crossed, nothing heard: go on
        t.answered(100, 200);
        t.exhausted(210);
        assertThat(t.sending(210)).as("1100 of the 1200 (cross + 20 %%)").isTrue();
        t.answered(100, 300);
        assertThat(t.sending(300)).isFalse();
        assertThat(t.sending(400)).as("stays stopped").isFalse();
        assertThat(t.sendingMillis()).isEqualTo(300);
    }

    @Test
    void aSignalHeardPastTheMarginStopsAtOnce() {
        Trial t = trial(0);
        t.start(0);
        t.answered(1500, 100);
        t.exhausted(120);
        assertThat(t.sending(130)).isFalse();
        assertThat(t.sent()).isEqualTo(1500);
    }

    @Test
    void anOverdueSignalStopsTheTrialAndFailsIt() {
        Trial t = trial(0);
        t.start(0);
        t.answered(1000, 1_000);
        assertThat(t.sending(31_000)).isTrue();
        t.answered(100, 31_000);
        assertThat(t.sending(31_001)).isFalse();
        Trial.Outcome o = t.settle(t.budgetMicros(), 100);
        assertThat(o.passed()).isFalse();
        assertThat(o.delayMillis()).isEmpty();
        assertThat(o.problems()).containsExactly("no exhausted event within 30000 ms of the crossing body's answer");
    }

    @Test
    void pausesKeepToTheRateAndCatchUpWhenLate() {
        Trial t = trial(0); // 1000 events/s
        t.start(10_000);
        t.answered(100, 10_020);
        assertThat(t.pauseMillis(10_020)).isEqualTo(80);
        t.answered(100, 10_250); // late: the next body is due at once
        assertThat(t.pauseMillis(10_250)).isZero();
    }

    @Test
    void anExactCrossingPasses() {
        Trial t = crossedAndHeard(1300);
        Trial.Outcome o = t.settle(t.budgetMicros(), 300);
        assertThat(o.problems()).isEmpty();
        assertThat(o.overshootMicros()).isZero();
        assertThat(o.expectedOverBudget()).isEqualTo(300);
    }

    @Test
    void billingPastTheBudgetIsAnOvershoot() {
        Trial t = crossedAndHeard(1300);
        Trial.Outcome o = t.settle(t.budgetMicros() + UNIT, 299);
        assertThat(o.overshootMicros()).isEqualTo(UNIT);
        assertThat(o.problems()).containsExactly("billed 2500 micros past the budget",
                "over_budget 299, but 300 impressions were sent past the crossing");
    }

    @Test
    void billingShortOfACrossedBudgetFails() {
        Trial t = crossedAndHeard(1300);
        Trial.Outcome o = t.settle(t.budgetMicros() - UNIT, 300);
        assertThat(o.overshootMicros()).isEqualTo(-UNIT);
        assertThat(o.problems()).containsExactly("billed 2500 micros short of the budget although it was crossed");
    }

    @Test
    void aSignalBeforeTheCrossingWasAnsweredFails() {
        Trial t = trial(0);
        t.start(0);
        t.answered(900, 100);
        t.exhausted(110);
        t.answered(400, 200);
        Trial.Outcome o = t.settle(t.budgetMicros(), 300);
        assertThat(o.problems()).containsExactly("exhausted heard with only 900 of the 1000 impressions to the crossing answered");
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Trial(1, 0, 0, 1000, 0.2, 1000, 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Trial(1, 0, UNIT, 0, 0.2, 1000, 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Trial(1, Long.MAX_VALUE, UNIT, 1000, 0.2, 1000, 1000)).isInstanceOf(ArithmeticException.class);
    }

    private static Trial crossedAndHeard(long sent) {
        Trial t = trial(0);
        t.start(0);
        t.answered(1000, 100);
        t.exhausted(200);
        t.answered((int) (sent - 1000), 300);
        t.sending(300);
        return t;
    }
}
