package io.adgrid.persister.testing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.event.EventType;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.hazelcast.PartitionBatchCall;
import com.hazelcast.core.HazelcastInstance;

/**
 * Plays a gateway for tests: builds {@link GridEvent}s with unique identities and applies them in
 * {@link ApplyBatch}es split by partition, as the gateway does. Keeps what the
 * events it applied add up to, so tests compare PostgreSQL and reports with it. Thread-safe.
 */
public final class GridEventFeeder {

    private volatile PartitionBatchCall call;
    private final long gateway = ThreadLocalRandom.current().nextLong();
    private final long idHi = ThreadLocalRandom.current().nextLong();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicLong nextBatch = new AtomicLong();
    private final CounterDeltas expected = new CounterDeltas();
    /** Impressions applied so far (banner, ts minute, identity): a click is clean only after its impression. */
    private final Set<List<Long>> impressions = new HashSet<>();

    public GridEventFeeder(HazelcastInstance grid) {
        this.call = new PartitionBatchCall(grid);
    }

    /** Sends through {@code grid} from now on (the member it used is gone); identities and expectations go on. */
    public void sendThrough(HazelcastInstance grid) {
        this.call = new PartitionBatchCall(grid);
    }

    public GridEvent impression(long campaign, long banner, long publisher, Instant ts) {
        return new GridEvent(EventType.IMPRESSION, campaign, banner, publisher, ts.toEpochMilli(), idHi, nextId.incrementAndGet(), null, 0);
    }

    /** A click with an identity of its own: no impression has it, so the grid counts it as a suspect click. */
    public GridEvent click(long campaign, long banner, long publisher, Instant ts) {
        return new GridEvent(EventType.CLICK, campaign, banner, publisher, ts.toEpochMilli(), idHi, nextId.incrementAndGet(), null, 0);
    }

    /** The click of a rendered impression (same banner, publisher, ts and signature bits): a clean click once the impression is applied. */
    public GridEvent clickOf(GridEvent impression) {
        return new GridEvent(EventType.CLICK, impression.campaignId(), impression.bannerId(), impression.publisherId(),
                impression.tsMillis(), impression.idHi(), impression.idLo(), null, 0);
    }

    public GridEvent sale(long campaign, long banner, long publisher, Instant ts, long amountMicros) {
        long id = nextId.incrementAndGet();
        return new GridEvent(EventType.SALE, campaign, banner, publisher, ts.toEpochMilli(), idHi, id, "order-" + idHi + "-" + id, amountMicros);
    }

    /**
     * Applies new events as one batch and adds them to {@link #expected()}, a click as clean only when
     * its impression was applied before it (as the grid decides); fails if the grid called any a duplicate.
     */
    public void apply(List<GridEvent> events) {
        Map<Long, long[]> answer = send(new BatchId(gateway, nextBatch.incrementAndGet()), events);
        Map<Long, Integer> positions = new HashMap<>();
        for (GridEvent e : events) {
            int i = positions.merge(e.routeKey(), 1, Integer::sum) - 1;
            if (ApplyBatch.isDuplicate(answer.get(e.routeKey()), i)) {
                throw new AssertionError("the grid counted a fresh event as a duplicate: " + e);
            }
        }
        synchronized (expected) {
            for (GridEvent e : events) {
                if (e.type() == EventType.IMPRESSION) {
                    impressions.add(renderingOf(e));
                }
                boolean suspect = e.type() == EventType.CLICK && (e.suspect() || !impressions.contains(renderingOf(e)));
                expected.add(e.counterKey(), suspect ? new Counts(0, 0, 0, 0, 1) : countsOf(e));
            }
        }
    }

    /**
     * Sends events in a new batch without adding them to {@link #expected()} (replays).
     *
     * @return per routing key, the grid's answer (null when none; read it with {@link ApplyBatch#isDuplicate})
     */
    public Map<Long, long[]> replay(List<GridEvent> events) {
        return send(new BatchId(gateway, nextBatch.incrementAndGet()), events);
    }

    /** Sends events again under the last {@link #apply}'s batch id, as a gateway re-sends a partition whose answer it never got. */
    public Map<Long, long[]> resendLastBatch(List<GridEvent> events) {
        return send(new BatchId(gateway, nextBatch.get()), events);
    }

    /** Sends events again in a new batch (as {@link #replay}) and counts those the grid answered as duplicates. */
    public int duplicatesOnReplay(List<GridEvent> events) {
        Map<Long, long[]> answer = replay(events);
        Map<Long, Integer> positions = new HashMap<>();
        int duplicates = 0;
        for (GridEvent e : events) {
            int i = positions.merge(e.routeKey(), 1, Integer::sum) - 1;
            duplicates += ApplyBatch.isDuplicate(answer.get(e.routeKey()), i) ? 1 : 0;
        }
        return duplicates;
    }

    private Map<Long, long[]> send(BatchId batch, List<GridEvent> events) {
        Map<Long, List<GridEvent>> byKey = new HashMap<>();
        for (GridEvent e : events) {
            byKey.computeIfAbsent(e.routeKey(), k -> new ArrayList<>()).add(e);
        }
        long orderExpiresMinute = Math.floorDiv(System.currentTimeMillis(), 60_000L) + 30;
        try {
            // As the gateway sends it: one operation per partition, answered after the backups (and journals).
            Map<Long, long[]> answer = call.<long[]>execute(call.slices(byKey.keySet(),
                    keys -> new ApplyBatch(batch, orderExpiresMinute, slice(byKey, keys)))).get(60, TimeUnit.SECONDS);
            return new HashMap<>(answer);
        } catch (Exception e) {
            throw new IllegalStateException("cannot apply a batch to the grid: " + e, e);
        }
    }

    private static Map<Long, List<GridEvent>> slice(Map<Long, List<GridEvent>> byKey, Set<Long> keys) {
        Map<Long, List<GridEvent>> slice = new HashMap<>();
        keys.forEach(k -> slice.put(k, byKey.get(k)));
        return slice;
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

    private static List<Long> renderingOf(GridEvent e) {
        return List.of(e.bannerId(), e.minute(), e.idHi(), e.idLo());
    }

    /** What an event adds when counted, a click taken as clean. */
    public static Counts countsOf(GridEvent e) {
        return switch (e.type()) {
            case IMPRESSION -> new Counts(1, 0, 0, 0);
            case CLICK -> new Counts(0, 1, 0, 0);
            case SALE -> new Counts(0, 0, 1, e.amountMicros());
        };
    }
}
