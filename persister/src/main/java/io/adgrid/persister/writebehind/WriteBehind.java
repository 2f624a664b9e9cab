package io.adgrid.persister.writebehind;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves counts from the grid to PostgreSQL: seal (in the grid), write (one transaction), acknowledge
 * (in the grid). Each member runs it for the entries it owns; a flush runs it for all entries.
 * Every step can be repeated or interrupted without changing totals (see {@code RouteState}).
 *
 * <p>With {@code holdOpenMinute}, a member's own cycles seal only the minutes that closed at least
 * {@link #OPEN_MINUTE_GRACE} ago: a counter key then reaches PostgreSQL in one row write per minute
 * instead of one per cycle (rows per event fall from about 1 to 1 / events per key a minute). A
 * flush still writes everything. Reports are exact either way (they add what the grid holds).
 *
 * <p>Metrics ({@code adgrid.writebehind.*}, see the README) are kept from construction and reach a
 * registry once {@link #bindTo} is called (Spring Boot does it for a bean; a test may do it itself).
 */
public final class WriteBehind implements AutoCloseable, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(WriteBehind.class);
    /** Keys per grid call: bounds the size of one request and one answer. */
    private static final int KEYS_PER_CALL = 20_000;
    /** How long after its end a minute is still left open for events in flight. */
    public static final Duration OPEN_MINUTE_GRACE = Duration.ofSeconds(5);

    /** What one cycle moved. */
    public record CycleResult(int batches, int newBatches, int rows) {
        CycleResult plus(CycleResult o) {
            return new CycleResult(batches + o.batches, newBatches + o.newBatches, rows + o.rows);
        }
    }

    private final CounterGrid counters;
    private final IMap<String, String> protocol;
    private final CounterWriter writer;
    private final Clock clock;
    private final int replayWindowMinutes;
    private final boolean holdOpenMinute;
    private final ReentrantLock cycleLock = new ReentrantLock();
    private ScheduledExecutorService scheduler;
    private volatile Consumer<Map<UUID, Watermark>> onLostWrites = lost -> { };
    private volatile Instant lastSuccess;
    private volatile String lastError;

    /** How long a backlog reading (one read-only visit of every owned entry) is reused. */
    static final Duration BACKLOG_READING_MAX_AGE = Duration.ofSeconds(3);

    private final CompositeMeterRegistry meters = new CompositeMeterRegistry();
    private final Timer writeLatency;
    private final DistributionSummary writeRows;
    private final Counter writeFailures;
    private final Counter batchesWritten;
    private final Counter rowsQuarantined;
    /** Every change made to this member's own entries before this instant is in PostgreSQL. */
    private volatile long writtenUpToMillis;
    private final Object coverage = new Object();
    /** Whether the last cycle over own entries succeeded (then no sealed batch of an earlier one was left waiting). */
    private boolean lastCoveringCycleOk;

    /** A write-behind whose cycles write everything pending. */
    public WriteBehind(HazelcastInstance grid, CounterWriter writer, Clock clock, int replayWindowMinutes) {
        this(grid, writer, clock, replayWindowMinutes, false);
    }

    public WriteBehind(HazelcastInstance grid, CounterWriter writer, Clock clock, int replayWindowMinutes, boolean holdOpenMinute) {
        this.holdOpenMinute = holdOpenMinute;
        this.counters = GridMember.counterGrid(grid);
        this.protocol = grid.getMap(RecoveryGate.MAP);
        this.writer = writer;
        this.clock = clock;
        this.replayWindowMinutes = replayWindowMinutes;
        this.writeLatency = Timer.builder("adgrid.writebehind.write.latency")
                .description("Duration of one successful PostgreSQL write transaction of the write-behind")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(meters);
        this.writeRows = DistributionSummary.builder("adgrid.writebehind.write.rows")
                .description("Counter rows upserted by one PostgreSQL write transaction (the batch size)")
                .register(meters);
        this.writeFailures = Counter.builder("adgrid.writebehind.write.failures")
                .description("PostgreSQL write transactions that failed; their counts stay in the grid and are retried")
                .register(meters);
        this.batchesWritten = Counter.builder("adgrid.writebehind.batches")
                .description("Grid batches written to PostgreSQL for the first time")
                .register(meters);
        this.rowsQuarantined = Counter.builder("adgrid.writebehind.quarantined.rows")
                .description("Counter rows PostgreSQL refused (a sum past bigint, a constraint), kept in counter_quarantine "
                        + "while every other row is written")
                .register(meters);
        this.writtenUpToMillis = clock.millis();
    }

    /**
     * Called (on the writing thread) when PostgreSQL is found behind what the grid acknowledged
     * ({@link LostWritesException}): a data member's journal keeper writes the lost batches again.
     */
    public void onLostWrites(Consumer<Map<UUID, Watermark>> repair) {
        this.onLostWrites = repair;
    }

    /** Sends the write-behind's metrics to {@code registry} (those registered before and after). */
    @Override
    public void bindTo(MeterRegistry registry) {
        meters.add(registry);
    }

    /**
     * Runs a cycle over this member's own entries every {@code interval}, and publishes this
     * member's backlog: lag, unwritten entries and keys, dedup memory.
     */
    public synchronized void start(Duration interval) {
        writtenUpToMillis = clock.millis();
        LocalBacklog backlog = new LocalBacklog(counters, clock, BACKLOG_READING_MAX_AGE);
        Gauge.builder("adgrid.writebehind.lag", this, WriteBehind::lagSeconds).strongReference(true).baseUnit("seconds")
                .description("Age of the oldest change to this member's own entries that may not be in PostgreSQL yet")
                .register(meters);
        Gauge.builder("adgrid.writebehind.failing", this, w -> w.lastError == null ? 0 : 1).strongReference(true)
                .description("1 while this member's write-behind fails (PostgreSQL unreachable or refusing), else 0")
                .register(meters);
        Gauge.builder("adgrid.writebehind.backlog.entries", backlog, b -> b.current().unwrittenEntries()).strongReference(true)
                .description("Grid entries owned by this member holding counts not yet in PostgreSQL")
                .register(meters);
        Gauge.builder("adgrid.writebehind.backlog.keys", backlog, b -> b.current().unwrittenKeys()).strongReference(true)
                .description("Counter keys (minute, banner, publisher) of this member's own entries not yet in PostgreSQL")
                .register(meters);
        Gauge.builder("adgrid.grid.dedup.identities", backlog, b -> b.current().dedupIdentities()).strongReference(true)
                .description("Event identities this member's own entries remember for replay dedup")
                .register(meters);
        Gauge.builder("adgrid.grid.dedup.bytes", backlog, b -> b.current().dedupBytes()).strongReference(true).baseUnit("bytes")
                .description("Heap taken by the replay-identity sets of this member's own entries (backups take as much again)")
                .register(meters);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-write-behind");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::cycleOwnEntries, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cycleOwnEntries() {
        long started = clock.millis();
        try {
            cycle(counters.ownKeys());
            covered(started);
        } catch (RuntimeException e) {
            notCovered();
            // Counts stay sealed in the grid (and its backup) and are retried next cycle.
            if (lastError == null) {
                log.warn("write-behind failed, will retry: {}", e.getMessage());
            }
            lastError = e.getMessage();
        }
    }

    /**
     * Writes everything the grid held when called. Two passes cover it: the first may only finish
     * a batch sealed earlier, the second seals what was pending at the call. A third pass runs
     * only if a concurrent cycle held a key in between.
     */
    public CycleResult flushAll() {
        return flush(false);
    }

    /** Like {@link #flushAll()} for the entries this member owns: its part of a graceful shutdown. */
    public CycleResult flushOwnEntries() {
        return flush(true);
    }

    private CycleResult flush(boolean ownOnly) {
        CycleResult total = new CycleResult(0, 0, 0);
        for (int pass = 0; pass < 3; pass++) {
            long started = clock.millis();
            CycleResult r;
            try {
                r = cycle(ownOnly ? counters.ownKeys() : counters.allKeys(), true);
            } catch (RuntimeException e) {
                notCovered();
                throw e;
            }
            covered(started);
            total = total.plus(r);
            if (r.batches() == 0 && pass > 0) {
                break;
            }
        }
        if (!ownOnly) {
            Set<Integer> recovering = recovering();
            if (!recovering.isEmpty()) {
                throw new RecoveringPartitionsException(recovering);
            }
        }
        return total;
    }

    /**
     * The partitions without their mark in a grid that journals (it has a life; without journals there are
     * no marks): the write-behind seals nothing there until the lost-partition recovery has replayed them.
     */
    private Set<Integer> recovering() {
        return protocol.get(RecoveryGate.LIFE) == null ? Set.of() : counters.unmarkedPartitions();
    }

    /** One cycle over {@code keys}: everything pending, or with {@code holdOpenMinute} the closed minutes. */
    public CycleResult cycle(Set<Long> keys) {
        return cycle(keys, !holdOpenMinute);
    }

    private CycleResult cycle(Set<Long> keys, boolean everything) {
        cycleLock.lock();
        try {
            CycleResult total = new CycleResult(0, 0, 0);
            List<Long> all = new ArrayList<>(keys);
            for (int from = 0; from < all.size(); from += KEYS_PER_CALL) {
                total = total.plus(cycleChunk(Set.copyOf(all.subList(from, Math.min(all.size(), from + KEYS_PER_CALL))), everything));
            }
            lastSuccess = clock.instant();
            if (lastError != null) {
                log.info("write-behind recovered");
                lastError = null;
            }
            return total;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("PostgreSQL write failed: " + e.getMessage(), e);
        } finally {
            cycleLock.unlock();
        }
    }

    private CycleResult cycleChunk(Set<Long> keys, boolean everything) throws java.sql.SQLException {
        long now = clock.millis();
        long sealBefore = everything ? Long.MAX_VALUE : Math.floorDiv(now - OPEN_MINUTE_GRACE.toMillis(), 60_000L);
        Map<Long, SealedBatch> sealed = counters.seal(keys, Math.floorDiv(now, 60_000L), replayWindowMinutes, sealBefore);
        if (sealed.isEmpty()) {
            return new CycleResult(0, 0, 0);
        }
        long writeStart = System.nanoTime();
        CounterWriter.Result written;
        try {
            written = writer.write(sealed.values());
        } catch (LostWritesException e) {
            writeFailures.increment();
            // The journal keeper writes the lost batches again; this batch waits in the grid meanwhile.
            try {
                onLostWrites.accept(e.acknowledged());
            } catch (RuntimeException repairFailed) {
                e.addSuppressed(repairFailed);
            }
            throw e;
        } catch (SQLException | RuntimeException e) {
            writeFailures.increment();
            throw e;
        }
        writeLatency.record(System.nanoTime() - writeStart, TimeUnit.NANOSECONDS);
        writeRows.record(written.rows());
        batchesWritten.increment(written.newBatches());
        rowsQuarantined.increment(written.quarantined().size());
        Map<Long, Long> seqByKey = new HashMap<>();
        sealed.forEach((k, b) -> seqByKey.put(k, b.seq()));
        counters.acknowledge(seqByKey);
        return new CycleResult(written.batches(), written.newBatches(), written.rows());
    }

    /**
     * A cycle over (at least) this member's own entries that started at {@code started} succeeded.
     * If the cycle before it succeeded too, it found no sealed batch waiting, so it sealed and wrote
     * everything changed before it started. After a failure, the next cycle may only finish the
     * batch sealed before, leaving newer counts pending: the cycle after that covers them.
     */
    private void covered(long started) {
        synchronized (coverage) {
            if (lastCoveringCycleOk && started > writtenUpToMillis) {
                writtenUpToMillis = started;
            }
            lastCoveringCycleOk = true;
        }
    }

    private void notCovered() {
        synchronized (coverage) {
            lastCoveringCycleOk = false;
        }
    }

    /**
     * Seconds since the start of the last cycle known to have written everything this member's
     * entries held then that was due (with {@code holdOpenMinute}, the counts of minutes closed by
     * then): an upper bound of how long a due change has waited for PostgreSQL. Healthy, it stays
     * below the interval plus one cycle's duration; it grows while writes fail.
     */
    public double lagSeconds() {
        return Math.max(0, clock.millis() - writtenUpToMillis) / 1000.0;
    }

    public Instant lastSuccess() {
        return lastSuccess;
    }

    /** The last write error, or null when the last cycle succeeded. */
    public String lastError() {
        return lastError;
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdown();
            try {
                scheduler.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
