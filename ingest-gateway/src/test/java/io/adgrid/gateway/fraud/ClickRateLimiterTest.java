package io.adgrid.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import io.adgrid.grid.testing.MovableClock;
import org.junit.jupiter.api.Test;

class ClickRateLimiterTest {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    private final MovableClock clock = new MovableClock(T0);

    @Test
    void firstClicksUpToTheLimitAreWithinItAndEveryLaterOneIsOver() {
        ClickRateLimiter limiter = new ClickRateLimiter(30, clock, 1);
        List<Boolean> verdicts = new ArrayList<>();

        for (int i = 0; i < 40; i++) {
            verdicts.add(limiter.overLimit(42));
        }

        assertThat(verdicts.subList(0, 30)).containsOnly(false);
        assertThat(verdicts.subList(30, 40)).containsOnly(true);
    }

    @Test
    void clientsAreCountedApart() {
        ClickRateLimiter limiter = new ClickRateLimiter(3, clock, 2);
        for (long client = 1; client <= 1_000; client++) {
            for (int i = 0; i < 3; i++) {
                assertThat(limiter.overLimit(client)).as("click %d of client %d", i + 1, client).isFalse();
            }
        }

        assertThat(limiter.overLimit(500)).isTrue();
        assertThat(limiter.overLimit(1_001)).isFalse();
    }

    @Test
    void countsStartAgainWhenTheMinuteTurns() {
        ClickRateLimiter limiter = new ClickRateLimiter(2, clock, 3);
        clock.set(T0.plusSeconds(58));
        limiter.overLimit(7);
        limiter.overLimit(7);
        assertThat(limiter.overLimit(7)).isTrue();

        clock.set(T0.plusSeconds(60));

        assertThat(limiter.estimate(7)).isZero();
        assertThat(limiter.overLimit(7)).isFalse();
        assertThat(limiter.overLimit(7)).isFalse();
        assertThat(limiter.overLimit(7)).isTrue();
    }

    @Test
    void memoryIsFixedAndAClientIsNeverUnderCountedWhateverTheNumberOfClients() {
        ClickRateLimiter limiter = new ClickRateLimiter(30, clock, 4);
        long before = limiter.bytes();
        SplittableRandom random = new SplittableRandom(5);
        long heavy = random.nextLong();
        for (int i = 0; i < 200_000; i++) {
            limiter.overLimit(random.nextLong());
            if (i % 5_000 == 0) {
                limiter.overLimit(heavy);
            }
        }

        assertThat(limiter.bytes()).isEqualTo(before).isEqualTo(4L * 16_384 * 4);
        // 40 clicks among 200,000 others: caught (a sketch only ever over-counts).
        assertThat(limiter.estimate(heavy)).isGreaterThanOrEqualTo(40);
        assertThat(limiter.overLimit(heavy)).isTrue();
    }

    @Test
    void overCountOfAFreshClientStaysFarBelowTheLimitWithManyOtherClients() {
        // The figures of the class comment: 100,000 and 200,000 other clients in one minute.
        for (int others : new int[] {100_000, 200_000}) {
            ClickRateLimiter limiter = new ClickRateLimiter(30, clock, 6);
            Random random = new Random(7);
            for (int i = 0; i < others; i++) {
                limiter.overLimit(random.nextLong());
            }
            int worst = 0;
            for (int i = 0; i < 10_000; i++) {
                worst = Math.max(worst, limiter.estimate(random.nextLong()));
            }
            assertThat(worst).as("worst over-count of a fresh client after %d others", others)
                    .isLessThanOrEqualTo(others == 100_000 ? 4 : 7);
        }
    }

    @Test
    void noLimitNeverFlagsAndHoldsNoCounters() {
        ClickRateLimiter limiter = ClickRateLimiter.unlimited();

        for (int i = 0; i < 1_000; i++) {
            assertThat(limiter.overLimit(9)).isFalse();
        }
        assertThat(limiter.bytes()).isZero();
    }
}
