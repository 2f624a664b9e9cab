package io.adgrid.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OverloadGuardTest {

    private static final long MS = 1_000_000L;
    private static final long WINDOW = OverloadGuard.WINDOW_NANOS;
    /** The tests' queue floor: this many requests pending at once are a queue. */
    private static final int FLOOR = 4;

    private final AtomicLong now = new AtomicLong(1_000 * MS);

    private OverloadGuard guard(int maxPending, long maxDelayMillis, int maxConnections) {
        return new OverloadGuard(new OverloadGuard.Settings(maxPending, Duration.ofMillis(maxDelayMillis), maxConnections,
                Duration.ofSeconds(60), FLOOR), now::get);
    }

    /** {@code requests} more requests read and left unanswered: a queue. */
    private void queue(OverloadGuard guard, int requests) {
        for (int i = 0; i < requests; i++) {
            assertThat(guard.admit(now.get())).isTrue();
        }
    }

    /** Ends the current window with {@code delayMillis} as its largest delay. */
    private void windowWithDelay(OverloadGuard guard, long delayMillis) {
        now.addAndGet(WINDOW);
        guard.delayed(delayMillis * MS, now.get());
    }

    private static int admittedOf(OverloadGuard guard, int requests, long nowNanos) {
        int admitted = 0;
        for (int i = 0; i < requests; i++) {
            if (guard.admit(nowNanos)) {
                admitted++;
                guard.answered(nowNanos, nowNanos);
            }
        }
        return admitted;
    }

    @Test
    void oneSlowRequestAtLowConcurrencyNeverSheds() {
        // The README's first two curls on a cold JVM: the first answer takes 216 ms (JIT, class loading).
        OverloadGuard guard = new OverloadGuard(OverloadGuard.Settings.defaults(), now::get);
        long read = now.get();
        assertThat(guard.admit(read)).isTrue();
        now.addAndGet(216 * MS);
        guard.answered(read, now.get());
        now.addAndGet(WINDOW);
        assertThat(guard.admit(now.get())).as("the second curl").isTrue();
        guard.answered(now.get(), now.get());

        // A busy neighbour: event loops late by seconds for a while, one request at a time.
        for (int w = 0; w < 20; w++) {
            windowWithDelay(guard, 2_000);
            assertThat(admittedOf(guard, 1, now.get())).isOne();
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);
        assertThat(guard.shedRequests()).isZero();
    }

    @Test
    void handlesEveryRequestWhileDelaysStayUnderTheLimit() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR);
        for (int w = 0; w < 20; w++) {
            windowWithDelay(guard, 199);
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);
        assertThat(admittedOf(guard, 500, now.get())).isEqualTo(500);
        assertThat(guard.shedRequests()).isZero();
    }

    @Test
    void aQueueWithoutDelaysIsNoOverload() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, 900);
        for (int w = 0; w < 20; w++) {
            windowWithDelay(guard, 50);
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);
    }

    @Test
    void oneOverloadedWindowIsNoEvidenceTwoInARowHalveTheShareHandledEvenlySpread() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR);
        windowWithDelay(guard, 201);
        assertThat(guard.admittedShare()).as("one sample").isEqualTo(1.0);
        windowWithDelay(guard, 0);
        windowWithDelay(guard, 201);
        assertThat(guard.admittedShare()).as("not in a row").isEqualTo(1.0);

        windowWithDelay(guard, 201);
        windowWithDelay(guard, 150); // between half and the limit: the share stays

        assertThat(guard.admittedShare()).isEqualTo(0.5);
        int[] pattern = new int[6];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = admittedOf(guard, 1, now.get());
        }
        assertThat(pattern).containsExactly(0, 1, 0, 1, 0, 1);
        assertThat(admittedOf(guard, 1000, now.get())).isEqualTo(500);
        assertThat(guard.shedRequests()).isEqualTo(503);
    }

    @Test
    void slowRequestsBelowThePendingFloorAreNoOverloadAtTheFloorTheyAre() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR - 1);
        for (int w = 0; w < 20; w++) {
            windowWithDelay(guard, 5_000);
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);

        queue(guard, 1);
        windowWithDelay(guard, 5_000);
        windowWithDelay(guard, 5_000);
        assertThat(guard.admittedShare()).isEqualTo(0.5);
    }

    @Test
    void theQueueIsTheMostPendingAtOnceDuringTheWindow() {
        OverloadGuard guard = guard(1_000, 200, 10);
        for (int w = 0; w < 2; w++) {
            long t = now.get();
            queue(guard, FLOOR); // all pending at once, all answered before the window ends
            for (int i = 0; i < FLOOR; i++) {
                guard.answered(t, t);
            }
            windowWithDelay(guard, 500);
        }
        assertThat(guard.pendingRequests()).isZero();
        assertThat(guard.admittedShare()).isEqualTo(0.5);
    }

    @Test
    void onlyOneDecisionIsTakenPerWindowWhateverTheNumberOfSlowRequests() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR);
        for (int w = 0; w < 2; w++) {
            now.addAndGet(WINDOW);
            for (int i = 0; i < 100; i++) {
                guard.delayed(5_000 * MS, now.get());
            }
        }
        assertThat(guard.admittedShare()).isEqualTo(0.5);
    }

    @Test
    void sustainedDelaysShedEverythingThenShortDelaysBringTheShareBackStepByStep() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR);
        for (int w = 0; w < 12; w++) {
            windowWithDelay(guard, 800);
        }
        assertThat(guard.admittedShare()).isZero();
        assertThat(admittedOf(guard, 100, now.get())).isZero();

        windowWithDelay(guard, 100); // at most half the limit: one step up
        assertThat(guard.admittedShare()).isEqualTo(1.0 / 16);
        for (int w = 0; w < 14; w++) {
            windowWithDelay(guard, 0);
        }
        assertThat(guard.admittedShare()).isEqualTo(15.0 / 16);
        windowWithDelay(guard, 0);
        assertThat(guard.admittedShare()).isEqualTo(1.0);
        windowWithDelay(guard, 0);
        assertThat(guard.admittedShare()).isEqualTo(1.0);
    }

    @Test
    void whileSheddingTheShareGrowsBackOnceTheQueueIsGoneEvenWithLongDelays() {
        OverloadGuard guard = guard(1_000, 200, 10);
        long t = now.get();
        queue(guard, FLOOR);
        windowWithDelay(guard, 800);
        windowWithDelay(guard, 800);
        assertThat(guard.admittedShare()).isEqualTo(0.5);

        for (int i = 0; i < FLOOR; i++) {
            guard.answered(t, t);
        }
        windowWithDelay(guard, 800); // the window the queue drained in still saw it
        assertThat(guard.admittedShare()).isEqualTo(0.25);
        windowWithDelay(guard, 800);
        assertThat(guard.admittedShare()).isEqualTo(0.25 + 1.0 / 16);
    }

    @Test
    void theTimeFromReadingToAnsweringCountsAsADelay() {
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR);
        for (int w = 0; w < 2; w++) {
            long read = now.get();
            assertThat(guard.admit(read)).isTrue();
            now.addAndGet(WINDOW + 300 * MS);
            guard.answered(read, now.get()); // ends the window with the 400-ms answer as its delay
        }

        assertThat(guard.admittedShare()).isEqualTo(0.5);
        assertThat(guard.pendingRequests()).isEqualTo(FLOOR);
    }

    @Test
    void aZeroDelayLimitNeverReducesTheShare() {
        OverloadGuard guard = guard(1_000, 0, 10);
        queue(guard, FLOOR);
        for (int w = 0; w < 5; w++) {
            windowWithDelay(guard, 10_000);
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);
    }

    @Test
    void requestsBeyondThePendingCapAreRefusedUntilOneIsAnswered() {
        OverloadGuard guard = guard(2, 200, 10);
        long t = now.get();
        assertThat(guard.admit(t)).isTrue();
        assertThat(guard.admit(t)).isTrue();
        assertThat(guard.admit(t)).isFalse();
        assertThat(guard.pendingRequests()).isEqualTo(2);

        guard.answered(t, t);
        assertThat(guard.admit(t)).isTrue();
        assertThat(guard.admit(t)).isFalse();
        assertThat(guard.shedRequests()).isEqualTo(2);
        assertThat(guard.pendingRequests()).isEqualTo(2);
    }

    @Test
    void connectionsBeyondTheCapAreRefusedAndCountedUntilOneCloses() {
        OverloadGuard guard = guard(10, 200, 2);
        assertThat(guard.connectionOpened()).isTrue();
        assertThat(guard.connectionOpened()).isTrue();
        assertThat(guard.connectionOpened()).isFalse();
        assertThat(guard.openConnections()).isEqualTo(2);
        assertThat(guard.refusedConnections()).isEqualTo(1);

        guard.connectionClosed();
        assertThat(guard.connectionOpened()).isTrue();
        assertThat(guard.openConnections()).isEqualTo(2);
    }

    @Test
    void worksAcrossTheWrapOfNanoTime() {
        now.set(Long.MAX_VALUE - 50 * MS);
        OverloadGuard guard = guard(1_000, 200, 10);
        queue(guard, FLOOR);
        windowWithDelay(guard, 500);
        windowWithDelay(guard, 500);
        assertThat(guard.admittedShare()).isEqualTo(0.5);
        windowWithDelay(guard, 0);
        assertThat(guard.admittedShare()).isEqualTo(0.5 + 1.0 / 16);
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new OverloadGuard.Settings(0, Duration.ofMillis(200), 10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OverloadGuard.Settings(10, Duration.ofMillis(200), 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OverloadGuard.Settings(10, Duration.ofMillis(-1), 10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OverloadGuard.Settings(10, Duration.ofMillis(200), 10, Duration.ZERO, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
