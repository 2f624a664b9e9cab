package io.adgrid.persister.rollup;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the {@link RollupJob} every interval on a thread of its own; a failed run is logged and retried at the next. */
public final class RollupScheduler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RollupScheduler.class);

    private final ScheduledExecutorService executor;

    /** @param interval null: never scheduled (processes that hold no grid data) */
    public RollupScheduler(RollupJob job, Clock clock, Duration interval) {
        if (interval == null) {
            executor = null;
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-rollup");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                job.run(clock.instant());
            } catch (Exception e) {
                log.warn("rollup failed, trying again in {}: {}", interval, e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
