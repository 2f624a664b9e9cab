package io.adgrid.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OverloadGuardTest {

    private static final long MS = 1_000_000L;
    private static final long WINDOW = OverloadGuard.WINDOW_NANOS;

    private final AtomicLong now = new AtomicLong(1_000 * MS);

    private OverloadGuard guard(int maxPending, long maxDelayMillis, int maxConnections) {
        return new OverloadGuard(new OverloadGuard.Settings(maxPending, Duration.ofMillis(maxDelayMillis), maxConnections,
                Duration.ofSeconds(60)), now::get);
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
    void handlesEveryRequestWhileDelaysStayUnderTheLimit() {
        OverloadGuard guard = guard(1_000, 200, 10);
        for (int w = 0; w < 20; w++) {
            windowWithDelay(guard, 199);
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);
        assertThat(admittedOf(guard, 500, now.get())).isEqualTo(500);
        assertThat(guard.shedRequests()).isZero();
    }

    @Test
    void aWindowWithADelayOverTheLimitHalvesTheShareHandledEvenlySpread() {
        OverloadGuard guard = guard(1_000, 200, 10);
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
    void onlyOneDecisionIsTakenPerWindowWhateverTheNumberOfSlowRequests() {
        OverloadGuard guard = guard(1_000, 200, 10);
        now.addAndGet(WINDOW);
        for (int i = 0; i < 100; i++) {
            guard.delayed(5_000 * MS, now.get());
        }
        assertThat(guard.admittedShare()).isEqualTo(0.5);
    }

    @Test
    void sustainedDelaysShedEverythingThenShortDelaysBringTheShareBackStepByStep() {
        OverloadGuard guard = guard(1_000, 200, 10);
        for (int w = 0; w < 11; w++) {
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
    void theTimeFromReadingToAnsweringCountsAsADelay() {
        OverloadGuard guard = guard(1_000, 200, 10);
        long read = now.get();
        assertThat(guard.admit(read)).isTrue();
        now.addAndGet(WINDOW + 300 * MS);
        guard.answered(read, now.get()); // ends the window with the 400-ms answer as its delay

        assertThat(guard.admittedShare()).isEqualTo(0.5);
        assertThat(guard.pendingRequests()).isZero();
    }

    @Test
    void aZeroDelayLimitNeverReducesTheShare() {
        OverloadGuard guard = guard(1_000, 0, 10);
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
    }
}
