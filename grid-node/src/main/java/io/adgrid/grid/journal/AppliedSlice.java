package io.adgrid.grid.journal;

import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.Watermark;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.reach.ReachSketch;

/**
 * What one {@code ApplyBatch} recorded in one grid entry, in the form a member's journal keeps it:
 * enough to add the counts to PostgreSQL and to remember the identities again after every member
 * has died.
 *
 * @param seq            the entry's ({@code epoch}'s) next write-behind batch when it took these
 *                       counts: PostgreSQL holds a count exactly when its {@link Watermark} of the
 *                       epoch {@linkplain Watermark#holds holds} {@code seq} and the count's minute
 * @param identitiesOnly the events were remembered for dedup but not counted (a recovery loading
 *                       the identities of a journal into a new grid)
 * @param events         the events the entry took (duplicates left out); a click counted as
 *                       suspect carries {@code suspect}, a robot's beacon {@code invalid}
 */
public record AppliedSlice(long routeKey, long batchGateway, long batchSequence, long epochHi, long epochLo, long seq,
                           boolean identitiesOnly, long orderExpiresMinute, List<GridEvent> events) {

    public UUID epoch() {
        return new UUID(epochHi, epochLo);
    }

    /**
     * The users this slice's counted impressions reached (issue 21), a sketch per banner and UTC day; none
     * when {@code identitiesOnly}. A journal replay adds them to PostgreSQL's reach by union, so a slice
     * PostgreSQL partly holds adds no user twice.
     */
    public List<ReachSketch> reach() {
        java.util.Map<List<Long>, org.apache.datasketches.hll.HllSketch> sketches = new java.util.TreeMap<>(
                java.util.Comparator.<List<Long>>comparingLong(k -> k.get(0)).thenComparingLong(k -> k.get(1)).thenComparingLong(k -> k.get(2)));
        if (!identitiesOnly) {
            for (GridEvent e : events) {
                if (e.type() == io.adgrid.event.EventType.IMPRESSION && !e.invalid() && e.user() != 0) {
                    sketches.computeIfAbsent(List.of(e.bannerId(), e.day(), e.campaignId()), k -> Reach.newSketch()).update(e.user());
                }
            }
        }
        List<ReachSketch> out = new java.util.ArrayList<>();
        sketches.forEach((k, s) -> out.add(new ReachSketch(k.get(0), k.get(2), k.get(1), s.toCompactByteArray())));
        return out;
    }

    /** The increments these events made (none when {@code identitiesOnly}). */
    public CounterDeltas deltas() {
        return deltasNotHeldBy(Watermark.NONE);
    }

    /** Whether PostgreSQL, at {@code watermark}, holds every count of this slice. */
    public boolean heldBy(Watermark watermark) {
        if (!identitiesOnly) {
            for (GridEvent e : events) {
                if (!watermark.holds(seq, e.counterKey().minute())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The increments these events made that PostgreSQL, at {@code watermark}, does not hold. */
    public CounterDeltas deltasNotHeldBy(Watermark watermark) {
        return deltasHeldByButNot(Watermark.full(Long.MAX_VALUE), watermark);
    }

    /**
     * The increments these events made that {@code acknowledged} holds and {@code database} does not:
     * counts the grid dropped as written that a database behind it lost (issue 17.6).
     */
    public CounterDeltas deltasHeldByButNot(Watermark acknowledged, Watermark database) {
        CounterDeltas deltas = new CounterDeltas();
        if (!identitiesOnly) {
            for (GridEvent e : events) {
                long minute = e.counterKey().minute();
                if (database.holds(seq, minute) || !acknowledged.holds(seq, minute)) {
                    continue;
                }
                Counts c = deltas.at(e.counterKey());
                if (e.invalid()) {
                    c.invalid++;
                    continue;
                }
                switch (e.type()) {
                    case IMPRESSION -> c.impressions++;
                    case CLICK -> {
                        if (e.suspect()) {
                            c.suspectClicks++;
                        } else {
                            c.clicks++;
                        }
                    }
                    case SALE -> c.addSale(e.amountMicros());
                }
            }
        }
        return deltas;
    }
}
