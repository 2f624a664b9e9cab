package io.adgrid.reporting.pacing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.pricing.Budget;
import io.adgrid.reporting.stats.CampaignDays;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recomputes every budgeted campaign's pacing every {@code interval} (100-250 ms) and publishes
 * state changes on the {@link PacingEvents} stream.
 *
 * <p>One refresh is one grid call (a read-only entry processor on every partition, each entry summing
 * its unwritten counts per budgeted campaign and minute: no call per event) and one PostgreSQL snapshot: for a campaign with only a daily budget its
 * counts from today's local midnight, for one with a total budget all its days (a day's billing
 * depends on the days before it). The merge is exact, so spend never goes back and a state change
 * is never a flicker. The daily budget's day is read from the injected clock, so a test can cross a
 * local midnight without waiting.
 */
public final class PacingMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PacingMonitor.class);
    private static final Duration AHEAD = Duration.ofDays(2);
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final CampaignDays days;
    private final PacingEvents events;
    private final Clock clock;
    private final Duration interval;
    private final SpendRate rates = new SpendRate();
    private final Map<Long, String> states = new HashMap<>();
    private volatile List<Pacing> latest = List.of();
    private final AtomicLong lastRefreshNanos = new AtomicLong(-1);
    private final AtomicLong refreshes = new AtomicLong();
    private ScheduledExecutorService scheduler;
    private long lastHeartbeat;
    private long lastFailureLog;

    private final Timer refreshTimer;
    private final Timer gridTimer;
    private final Timer databaseTimer;

    public PacingMonitor(CampaignDays days, PacingEvents events, Clock clock, Duration interval) {
        this(days, events, clock, interval, null);
    }

    /** @param metrics where {@code adgrid.pacing.refresh} (the time of one refresh) and the stream's subscribers are published; null: nowhere */
    public PacingMonitor(CampaignDays days, PacingEvents events, Clock clock, Duration interval, MeterRegistry metrics) {
        this.days = days;
        this.events = events;
        this.clock = clock;
        this.interval = interval;
        this.refreshTimer = metrics == null ? null : Timer.builder("adgrid.pacing.refresh")
                .description("one pacing refresh: the grid read, the PostgreSQL read and the billing of every budgeted campaign")
                .publishPercentiles(0.5, 0.99).register(metrics);
        this.gridTimer = metrics == null ? null : Timer.builder("adgrid.pacing.refresh.part").tag("part", "grid")
                .description("the parts of one pacing refresh: the grid call, the PostgreSQL transaction")
                .publishPercentiles(0.5, 0.99).register(metrics);
        this.databaseTimer = metrics == null ? null : Timer.builder("adgrid.pacing.refresh.part").tag("part", "database")
                .description("the parts of one pacing refresh: the grid call, the PostgreSQL transaction")
                .publishPercentiles(0.5, 0.99).register(metrics);
        if (metrics != null) {
            Gauge.builder("adgrid.pacing.subscribers", events, PacingEvents::subscribers)
                    .description("open /api/v1/pacing/stream connections").register(metrics);
        }
    }

    /** Starts refreshing on a daemon thread. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-pacing");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        log.info("pacing monitor: every {} ms", interval.toMillis());
    }

    /** Stops refreshing; the streams stay open. */
    public void stop() {
        ScheduledExecutorService s;
        synchronized (this) {
            s = scheduler;
            scheduler = null;
        }
        if (s != null) {
            s.shutdownNow();
            try {
                s.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops refreshing and ends every stream (at shutdown: clients reconnect to another process). */
    @Override
    public void close() {
        stop();
        events.completeAll();
    }

    private void refreshQuietly() {
        try {
            refresh();
            long now = System.nanoTime();
            if (now - lastHeartbeat > HEARTBEAT.toNanos()) {
                lastHeartbeat = now;
                events.heartbeat();
            }
        } catch (RuntimeException e) {
            // a backend down: keep the last states, say so at most once a minute
            long now = System.nanoTime();
            if (now - lastFailureLog > Duration.ofMinutes(1).toNanos()) {
                lastFailureLog = now;
                log.warn("pacing monitor: refresh failed, states kept: {}", e.toString());
            }
        }
    }

    /** One refresh: read, bill, publish the changes. Public so a test drives it with its own clock. */
    public synchronized List<Pacing> refresh() {
        long started = System.nanoTime();
        Instant now = clock.instant();
        CampaignDays.Read read = days.read(null, b -> from(b, now), now.plus(AHEAD), true);
        List<Pacing> latest = new ArrayList<>();
        List<Pacing> changes = new ArrayList<>();
        Set<Long> gone = new HashSet<>(states.keySet());
        for (long campaign : read.budgets().keySet()) {
            gone.remove(campaign);
            Pacing p = Pacing.of(read, campaign, now, false, null);
            rates.record(campaign, now, p.day(), p.spendTodayMicros());
            p = Pacing.of(read, campaign, now, false, rates.rate(campaign));
            latest.add(p);
            if (!p.state().equals(states.put(campaign, p.state()))) {
                changes.add(p);
            }
        }
        for (long campaign : gone) {
            // its budget was removed: one last event says so
            states.remove(campaign);
            rates.forget(campaign);
            changes.add(Pacing.budgetRemoved(campaign, now));
        }
        latest.sort(Comparator.comparingLong(Pacing::campaign));
        this.latest = List.copyOf(latest);
        events.update(latest, changes, gone);
        long took = System.nanoTime() - started;
        lastRefreshNanos.set(took);
        if (refreshTimer != null) {
            refreshTimer.record(took, TimeUnit.NANOSECONDS);
            gridTimer.record(read.gridNanos(), TimeUnit.NANOSECONDS);
            databaseTimer.record(read.databaseNanos(), TimeUnit.NANOSECONDS);
        }
        refreshes.incrementAndGet();
        return changes;
    }

    /** Today's local midnight for a daily-only budget, else the beginning. */
    private static Instant from(Budget budget, Instant now) {
        if (budget != null && budget.totalMicros() == null) {
            return LocalDate.ofInstant(now, budget.zone()).atStartOfDay(budget.zone()).toInstant();
        }
        return Instant.EPOCH;
    }

    /** Every budgeted campaign's pacing as of the last refresh, by campaign id (empty before the first). */
    public List<Pacing> latest() {
        return latest;
    }

    /** Spend micros a second of the campaign, or null while unknown. */
    public Long rate(long campaign) {
        return rates.rate(campaign);
    }

    /** How long the last refresh took, in nanoseconds (-1 before the first). */
    public long lastRefreshNanos() {
        return lastRefreshNanos.get();
    }

    public long refreshes() {
        return refreshes.get();
    }
}
