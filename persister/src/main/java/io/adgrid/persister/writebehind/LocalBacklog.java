package io.adgrid.persister.writebehind;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.port.Backlog;
import io.adgrid.grid.port.CounterGrid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this member's own grid entries hold that PostgreSQL does not have yet, and how many event
 * identities they remember for replay dedup. Reading it visits every owned entry (one read-only
 * entry-processor call per owner member per 20,000 keys), so a reading is kept for {@code maxAge} and shared by
 * every gauge and dashboard that asks.
 */
public final class LocalBacklog {

    private static final Logger log = LoggerFactory.getLogger(LocalBacklog.class);
    private static final int KEYS_PER_CALL = 20_000;

    /**
     * @param entries          grid entries this member owns
     * @param unwrittenEntries of those, the ones holding counts not yet in PostgreSQL
     * @param unwrittenKeys    counter keys (minute, banner, publisher) not yet in PostgreSQL
     * @param dedupIdentities  event identities remembered for replay dedup
     * @param dedupBytes       heap bytes of the sets holding them
     */
    public record Reading(long entries, long unwrittenEntries, long unwrittenKeys, long dedupIdentities, long dedupBytes,
                          Instant takenAt) {
    }

    private final CounterGrid counters;
    private final Clock clock;
    private final Duration maxAge;
    private Reading last;

    public LocalBacklog(CounterGrid counters, Clock clock, Duration maxAge) {
        this.counters = counters;
        this.clock = clock;
        this.maxAge = maxAge;
    }

    /** The latest reading, taken now if the last one is older than {@code maxAge}; never throws. */
    public synchronized Reading current() {
        Instant now = clock.instant();
        if (last == null || Duration.between(last.takenAt(), now).compareTo(maxAge) >= 0) {
            try {
                last = read(now);
            } catch (RuntimeException e) {
                // A member shutting down or a migration in progress: keep the previous reading.
                log.debug("backlog reading failed: {}", e.toString());
                if (last == null) {
                    last = new Reading(0, 0, 0, 0, 0, now);
                }
            }
        }
        return last;
    }

    private Reading read(Instant now) {
        List<Long> keys = new ArrayList<>(counters.ownKeys());
        long unwrittenEntries = 0;
        long unwrittenKeys = 0;
        long identities = 0;
        long identityBytes = 0;
        for (int from = 0; from < keys.size(); from += KEYS_PER_CALL) {
            List<Long> chunk = keys.subList(from, Math.min(keys.size(), from + KEYS_PER_CALL));
            for (Backlog a : counters.backlog(chunk).values()) {
                if (a.unwrittenKeys() > 0) {
                    unwrittenEntries++;
                    unwrittenKeys += a.unwrittenKeys();
                }
                identities += a.identities();
                identityBytes += a.identityBytes();
            }
        }
        return new Reading(keys.size(), unwrittenEntries, unwrittenKeys, identities, identityBytes, now);
    }
}
