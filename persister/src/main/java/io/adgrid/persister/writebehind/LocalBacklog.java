package io.adgrid.persister.writebehind;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.adgrid.grid.counters.RouteState;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this member's own grid entries hold that PostgreSQL does not have yet, and how many event
 * identities they remember for replay dedup. Reading it visits every owned entry (one read-only
 * entry-processor call per 20,000 keys), so a reading is kept for {@code maxAge} and shared by
 * every gauge and dashboard that asks.
 */
public final class LocalBacklog {

    /**
     * Bytes one remembered identity takes in a member's heap, estimated for a 64-bit JVM with
     * compressed references: the two-long record (32), its hash-set node (32) and table slot (~8).
     */
    public static final long BYTES_PER_IDENTITY = 72;

    private static final Logger log = LoggerFactory.getLogger(LocalBacklog.class);
    private static final int KEYS_PER_CALL = 20_000;

    /**
     * @param entries          grid entries this member owns
     * @param unwrittenEntries of those, the ones holding counts not yet in PostgreSQL
     * @param unwrittenKeys    counter keys (minute, banner, publisher) not yet in PostgreSQL
     * @param dedupIdentities  event identities remembered for replay dedup
     */
    public record Reading(long entries, long unwrittenEntries, long unwrittenKeys, long dedupIdentities, Instant takenAt) {

        public long dedupBytes() {
            return dedupIdentities * BYTES_PER_IDENTITY;
        }
    }

    private final IMap<Long, RouteState> counters;
    private final Clock clock;
    private final Duration maxAge;
    private Reading last;

    public LocalBacklog(IMap<Long, RouteState> counters, Clock clock, Duration maxAge) {
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
                    last = new Reading(0, 0, 0, 0, now);
                }
            }
        }
        return last;
    }

    private Reading read(Instant now) {
        List<Long> keys = new ArrayList<>(counters.localKeySet());
        long unwrittenEntries = 0;
        long unwrittenKeys = 0;
        long identities = 0;
        for (int from = 0; from < keys.size(); from += KEYS_PER_CALL) {
            Set<Long> chunk = Set.copyOf(keys.subList(from, Math.min(keys.size(), from + KEYS_PER_CALL)));
            Map<Long, long[]> answers = counters.executeOnKeys(chunk, new BacklogProbe());
            for (long[] a : answers.values()) {
                if (a == null) {
                    continue;
                }
                if (a[0] > 0) {
                    unwrittenEntries++;
                    unwrittenKeys += a[0];
                }
                identities += a[1];
            }
        }
        return new Reading(keys.size(), unwrittenEntries, unwrittenKeys, identities, now);
    }
}
