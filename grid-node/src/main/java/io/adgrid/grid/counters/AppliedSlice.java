package io.adgrid.grid.counters;

import java.util.List;
import java.util.UUID;

/**
 * What one {@link ApplyBatch} recorded in one grid entry, in the form a member's journal keeps it:
 * enough to add the counts to PostgreSQL and to remember the identities again after every member
 * has died.
 *
 * @param seq            the write-behind batch these counts will be sealed under in the entry
 *                       ({@code epoch}): PostgreSQL holds them exactly when its watermark of the
 *                       epoch has reached {@code seq}
 * @param identitiesOnly the events were remembered for dedup but not counted (a recovery loading
 *                       the identities of a journal into a new grid)
 * @param events         the events the entry took (duplicates left out); a click counted as
 *                       suspect carries {@code suspect}
 */
public record AppliedSlice(long routeKey, long batchGateway, long batchSequence, long epochHi, long epochLo, long seq,
                           boolean identitiesOnly, long orderExpiresMinute, List<GridEvent> events) {

    public UUID epoch() {
        return new UUID(epochHi, epochLo);
    }

    /** The increments these events made (none when {@code identitiesOnly}). */
    public CounterDeltas deltas() {
        CounterDeltas deltas = new CounterDeltas();
        if (!identitiesOnly) {
            for (GridEvent e : events) {
                Counts c = deltas.at(e.counterKey());
                switch (e.type()) {
                    case IMPRESSION -> c.impressions++;
                    case CLICK -> {
                        if (e.suspect()) {
                            c.suspectClicks++;
                        } else {
                            c.clicks++;
                        }
                    }
                    case SALE -> {
                        c.conversions++;
                        c.revenueMicros += e.amountMicros();
                    }
                }
            }
        }
        return deltas;
    }
}
