package io.adgrid.persister.testing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.event.EventType;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.counters.BatchId;
import io.adgrid.grid.counters.CounterDeltas;
import io.adgrid.grid.counters.Counts;
import io.adgrid.grid.counters.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * Plays a gateway for tests: builds {@link GridEvent}s with unique identities and applies them in
 * {@link ApplyBatch}es through {@code IMap.submitToKeys}, as the gateway does. Keeps what the
 * events it applied add up to, so tests compare PostgreSQL and reports with it. Thread-safe.
 */
public final class GridEventFeeder {

    private final IMap<Long, RouteState> counters;
    private final long gateway = ThreadLocalRandom.current().nextLong();
    private final long idHi = ThreadLocalRandom.current().nextLong();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicLong nextBatch = new AtomicLong();
    private final CounterDeltas expected = new CounterDeltas();

    public GridEventFeeder(HazelcastInstance grid) {
        this.counters = grid.getMap(GridMember.COUNTERS_MAP);
    }

    public GridEvent impression(long campaign, long banner, long publisher, Instant ts) {
        return new GridEvent(EventType.IMPRESSION, campaign, banner, publisher, ts.toEpochMilli(), idHi, nextId.incrementAndGet(), null, 0);
    }

    public GridEvent click(long campaign, long banner, long publisher, Instant ts) {
        return new GridEvent(EventType.CLICK, campaign, banner, publisher, ts.toEpochMilli(), idHi, nextId.incrementAndGet(), null, 0);
    }

    public GridEvent sale(long campaign, long banner, long publisher, Instant ts, long amountMicros) {
        long id = nextId.incrementAndGet();
        return new GridEvent(EventType.SALE, campaign, banner, publisher, ts.toEpochMilli(), idHi, id, "order-" + idHi + "-" + id, amountMicros);
    }

    /** Applies new events as one batch and adds them to {@link #expected()}; fails if the grid called any a duplicate. */
    public void apply(List<GridEvent> events) {
        Map<Long, long[]> duplicates = send(new BatchId(gateway, nextBatch.incrementAndGet()), events);
        duplicates.values().forEach(d -> {
            if (d != null) {
                throw new AssertionError("the grid counted fresh events as duplicates: " + duplicates);
            }
        });
        synchronized (expected) {
            for (GridEvent e : events) {
                expected.add(e.counterKey(), countsOf(e));
            }
        }
    }

    /**
     * Sends events in a new batch without adding them to {@link #expected()} (replays).
     *
     * @return per routing key, the duplicate positions (null when none)
     */
    public Map<Long, long[]> replay(List<GridEvent> events) {
        return send(new BatchId(gateway, nextBatch.incrementAndGet()), events);
    }

    private Map<Long, long[]> send(BatchId batch, List<GridEvent> events) {
        Map<Long, List<GridEvent>> byKey = new HashMap<>();
        for (GridEvent e : events) {
            byKey.computeIfAbsent(e.routeKey(), k -> new ArrayList<>()).add(e);
        }
        long orderExpiresMinute = Math.floorDiv(System.currentTimeMillis(), 60_000L) + 30;
        try {
            Map<Long, long[]> answer = counters.submitToKeys(byKey.keySet(), new ApplyBatch(batch, orderExpiresMinute, byKey))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            return new HashMap<>(answer);
        } catch (Exception e) {
            throw new IllegalStateException("cannot apply a batch to the grid: " + e, e);
        }
    }

    /** What every event passed to {@link #apply} adds up to, per counter key (a copy). */
    public CounterDeltas expected() {
        synchronized (expected) {
            CounterDeltas copy = new CounterDeltas();
            copy.addAll(expected);
            return copy;
        }
    }

    /** The sum of {@link #expected()} over all keys. */
    public Counts expectedTotal() {
        Counts total = new Counts();
        expected().asMap().values().forEach(total::add);
        return total;
    }

    public static Counts countsOf(GridEvent e) {
        return switch (e.type()) {
            case IMPRESSION -> new Counts(1, 0, 0, 0);
            case CLICK -> new Counts(0, 1, 0, 0);
            case SALE -> new Counts(0, 0, 1, e.amountMicros());
        };
    }
}
