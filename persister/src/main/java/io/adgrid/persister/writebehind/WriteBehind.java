package io.adgrid.persister.writebehind;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import io.adgrid.grid.counters.AcknowledgeBatches;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.counters.SealedBatch;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves counts from the grid to PostgreSQL: seal (in the grid), write (one transaction), acknowledge
 * (in the grid). Each member runs it for the entries it owns; a flush runs it for all entries.
 * Every step can be repeated or interrupted without changing totals (see {@code RouteState}).
 */
public final class WriteBehind implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WriteBehind.class);
    /** Keys per grid call: bounds the size of one request and one answer. */
    private static final int KEYS_PER_CALL = 20_000;

    /** What one cycle moved. */
    public record CycleResult(int batches, int newBatches, int rows) {
        CycleResult plus(CycleResult o) {
            return new CycleResult(batches + o.batches, newBatches + o.newBatches, rows + o.rows);
        }
    }

    private final IMap<Long, RouteState> counters;
    private final CounterWriter writer;
    private final Clock clock;
    private final int replayWindowMinutes;
    private final ReentrantLock cycleLock = new ReentrantLock();
    private ScheduledExecutorService scheduler;
    private volatile Instant lastSuccess;
    private volatile String lastError;

    public WriteBehind(HazelcastInstance grid, CounterWriter writer, Clock clock, int replayWindowMinutes) {
        this.counters = grid.getMap(GridMember.COUNTERS_MAP);
        this.writer = writer;
        this.clock = clock;
        this.replayWindowMinutes = replayWindowMinutes;
    }

    /** Runs a cycle over this member's own entries every {@code interval}. */
    public synchronized void start(Duration interval) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-write-behind");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::cycleOwnEntries, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cycleOwnEntries() {
        try {
            cycle(counters.localKeySet());
        } catch (RuntimeException e) {
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
            CycleResult r = cycle(ownOnly ? counters.localKeySet() : counters.keySet());
            total = total.plus(r);
            if (r.batches() == 0 && pass > 0) {
                break;
            }
        }
        return total;
    }

    public CycleResult cycle(Set<Long> keys) {
        cycleLock.lock();
        try {
            CycleResult total = new CycleResult(0, 0, 0);
            List<Long> all = new ArrayList<>(keys);
            for (int from = 0; from < all.size(); from += KEYS_PER_CALL) {
                total = total.plus(cycleChunk(Set.copyOf(all.subList(from, Math.min(all.size(), from + KEYS_PER_CALL)))));
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

    private CycleResult cycleChunk(Set<Long> keys) throws java.sql.SQLException {
        long nowMinute = Math.floorDiv(clock.millis(), 60_000L);
        Map<Long, SealedBatch> sealed = new HashMap<>();
        counters.executeOnKeys(keys, new SealPending(nowMinute, replayWindowMinutes)).forEach((k, b) -> {
            if (b != null) {
                sealed.put(k, b);
            }
        });
        if (sealed.isEmpty()) {
            return new CycleResult(0, 0, 0);
        }
        CounterWriter.Result written = writer.write(sealed.values());
        Map<Long, Long> seqByKey = new HashMap<>();
        sealed.forEach((k, b) -> seqByKey.put(k, b.seq()));
        counters.executeOnKeys(seqByKey.keySet(), new AcknowledgeBatches(seqByKey));
        return new CycleResult(written.batches(), written.newBatches(), written.rows());
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
