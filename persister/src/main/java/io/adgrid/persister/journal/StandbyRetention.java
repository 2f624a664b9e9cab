package io.adgrid.persister.journal;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a journal file whose counts PostgreSQL holds may go yet (issue 17.6): a standby promoted
 * after a failover must not lack commits whose only other copy was that file.
 */
final class StandbyRetention {

    /** The primary's WAL position, and the oldest replay position of its standbys when every one is known. */
    record Replication(long currentLsn, Long oldestStandbyReplay) {
    }

    private final Clock clock;
    /** Per journal file found written: the server's WAL position then, and when. */
    private final Map<Path, long[]> writtenAt = new ConcurrentHashMap<>();
    /** How long a written journal file is kept when no standby's replay position is known. */
    private volatile Duration horizon = Duration.ZERO;

    StandbyRetention(Clock clock) {
        this.clock = clock;
    }

    void horizon(Duration horizon) {
        this.horizon = horizon;
    }

    /**
     * Whether a written journal file may go: every standby has replayed the commits that wrote it
     * (a promotion cannot lose them), or, with no standby's position known (none listed, or the role
     * may not read pg_stat_replication's positions), the horizon has
     * passed since the file was first found written. A standby that is disconnected is not listed:
     * while another one is, only the listed ones count.
     */
    boolean replicated(Path file, Replication now) {
        long[] at = writtenAt.computeIfAbsent(file, f -> new long[] {now.currentLsn(), clock.millis()});
        if (now.oldestStandbyReplay() != null) {
            return now.oldestStandbyReplay() >= at[0];
        }
        return clock.millis() - at[1] >= horizon.toMillis();
    }

    /** The file is gone: a file of the same name later is another one. */
    void forget(Path file) {
        writtenAt.remove(file);
    }
}
