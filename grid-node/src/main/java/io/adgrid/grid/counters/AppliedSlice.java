package io.adgrid.grid.counters;

import java.util.List;
import java.util.UUID;

/**
 * What one {@link ApplyBatch} recorded in one grid entry, in the form a member's journal keeps it:
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
