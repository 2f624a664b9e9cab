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
    private final RollupJob job;
    private final Clock clock;
    private volatile RollupJob.Status status;

    /** Soon after start, not an interval later: the dashboard's rollup lag means something from the first minute. */
    private static final Duration FIRST_RUN_AFTER = Duration.ofSeconds(15);

    /** @param interval null: never scheduled (processes that hold no grid data) */
    public RollupScheduler(RollupJob job, Clock clock, Duration interval) {
        this.job = job;
        this.clock = clock;
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
                status = job.status();
            } catch (Exception e) {
                log.warn("rollup failed, trying again in {}: {}", interval, e.getMessage());
            }
        }, Math.min(interval.toMillis(), FIRST_RUN_AFTER.toMillis()), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Seconds the hour rollup is behind (see {@link RollupJob.Status#lag}); NaN before the first run. */
    public double lagSeconds() {
        RollupJob.Status s = status;
        return s == null ? Double.NaN : s.lag(clock.instant()).toSeconds();
    }

    /** Epoch seconds of the last run by any process; NaN before this one read it. */
    public double lastRunEpochSeconds() {
        RollupJob.Status s = status;
        return s == null || s.lastRun() == null ? Double.NaN : s.lastRun().getEpochSecond();
    }

    public double rowsRolled() {
        RollupJob.Status s = status;
        return s == null ? Double.NaN : s.rowsRolled();
    }

    public double partitionsDropped() {
        RollupJob.Status s = status;
        return s == null ? Double.NaN : s.partitionsDropped();
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
