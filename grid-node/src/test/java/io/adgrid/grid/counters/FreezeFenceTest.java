package io.adgrid.grid.counters;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FreezeFenceTest {

    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(60);

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final FreezeFence.Watch watch = new FreezeFence.Watch(nanos::get);
    private final FreezeFence fence = new FreezeFence(watch, HEARTBEAT_TIMEOUT);

    /** The JVM runs: the watch ticks every 100 ms for {@code duration}. */
    private void run(Duration duration) {
        for (long t = 0; t < duration.toMillis(); t += 100) {
            nanos.addAndGet(Duration.ofMillis(100).toNanos());
            watch.tick();
        }
    }

    private void freeze(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    @Test
    void aMemberThatRunsCounts() {
        run(Duration.ofMinutes(3));
        assertThat(fence.refusal()).isNull();
    }

    @Test
    void aFreezeOfHalfTheHeartbeatTimeoutRefusesBeforeTheWatchNoticesIt() {
        run(Duration.ofSeconds(5));
        freeze(Duration.ofSeconds(31));
        // A batch queued before the freeze runs before the watch's next tick.
        assertThat(fence.refusal()).contains("frozen for 31000 ms");
    }

    @Test
    void theFenceHoldsForOneHeartbeatTimeoutAfterTheFreeze() {
        run(Duration.ofSeconds(5));
        freeze(Duration.ofSeconds(45));
        watch.tick();
        assertThat(fence.refusal()).contains("frozen for 45000 ms");
        run(Duration.ofSeconds(59));
        assertThat(fence.refusal()).as("59 s after").isNotNull();
        run(Duration.ofSeconds(2));
        assertThat(fence.refusal()).as("61 s after").isNull();
    }

    @Test
    void aShorterFreezeKeepsTheMemberCounting() {
        run(Duration.ofSeconds(5));
        freeze(Duration.ofSeconds(20));
        assertThat(fence.refusal()).isNull();
        watch.tick();
        assertThat(fence.refusal()).isNull();
    }

    @Test
    void manyShortFreezesAfterALongOneDoNotLiftItsFence() {
        run(Duration.ofSeconds(5));
        freeze(Duration.ofSeconds(40));
        watch.tick();
        for (int i = 0; i < 50; i++) {
            freeze(Duration.ofMillis(1_100));
            watch.tick();
        }
        assertThat(fence.refusal()).contains("frozen for 40000 ms");
    }

    @Test
    void aShortFreezeAfterALongOneDoesNotLiftItsFence() {
        run(Duration.ofSeconds(5));
        freeze(Duration.ofSeconds(40));
        watch.tick();
        run(Duration.ofSeconds(10));
        freeze(Duration.ofSeconds(2));
        watch.tick();
        assertThat(fence.refusal()).contains("frozen for 40000 ms");
    }
}
