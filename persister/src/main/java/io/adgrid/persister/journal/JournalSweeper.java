package io.adgrid.persister.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.persister.journal.StandbyRetention.Replication;
import io.adgrid.persister.writebehind.Watermarks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes journal files of this life that are no longer needed: past their minute (their
 * identities have left the replay window or order retention), every count in them held by
 * PostgreSQL (by the watermarks, or added by a replay), and replayed by every standby
 * ({@link StandbyRetention}). Directories of dead processes of this life that end up empty go
 * with their registration.
 */
final class JournalSweeper {

    private static final Logger log = LoggerFactory.getLogger(JournalSweeper.class);

    private final MemberJournal journal;
    private final JournalRegistry registry;
    private final DataSource dataSource;
    private final Clock clock;
    private final StandbyRetention retention;

    JournalSweeper(MemberJournal journal, JournalRegistry registry, DataSource dataSource, Clock clock) {
        this.journal = journal;
        this.registry = registry;
        this.dataSource = dataSource;
        this.clock = clock;
        this.retention = new StandbyRetention(clock);
    }

    /** How long a written file is kept when no standby's replay position is known. */
    void standbyHorizon(Duration horizon) {
        retention.horizon(horizon);
    }

    /**
     * Deletes the journal files of {@code life} whose time has passed and whose every count is in
     * PostgreSQL, and the directories (with their registrations) that end up empty. Returns the
     * files deleted.
     */
    int sweep(UUID life) {
        long nowMinute = Math.floorDiv(clock.millis(), 60_000L);
        int deleted = 0;
        List<Path> dirs = new ArrayList<>();
        dirs.add(journal.directory());
        dirs.addAll(journal.otherDirectories());
        for (Path dir : dirs) {
            boolean own = dir.equals(journal.directory());
            boolean dead = !own && !MemberJournal.inUse(dir);
            if (!own && !MemberJournal.lifeOf(dir).map(life::equals).orElse(false)) {
                continue;
            }
            List<Path> files = MemberJournal.files(dir);
            List<Path> written = new ArrayList<>();
            for (Path file : files) {
                if (MemberJournal.keepUntilMinuteOf(file) < nowMinute && allWritten(List.of(file))) {
                    written.add(file);
                }
            }
            // Read after the watermarks: the commits that wrote these files are at or before this position.
            Replication replication = written.isEmpty() ? null : replication();
            for (Path file : written) {
                if (!retention.replicated(file, replication)) {
                    continue;
                }
                if (own) {
                    journal.closeFilesBefore(MemberJournal.keepUntilMinuteOf(file) + 1);
                }
                deleteQuietly(file);
                retention.forget(file);
                deleted++;
            }
            if (dead && MemberJournal.files(dir).isEmpty()) {
                JournalRegistry.directoryId(dir).ifPresent(registry::unregister);
                MemberJournal.deleteDirectory(dir);
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM journal_recovered_slice WHERE recovered_at < now() - interval '7 days'")) {
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot clean journal_recovered_slice: " + e.getMessage(), e);
        }
        return deleted;
    }

    /** A sweep whose failure waits for the next one. */
    void sweepQuietly(UUID life) {
        try {
            sweep(life);
        } catch (RuntimeException e) {
            log.debug("journal sweep skipped: {}", e.getMessage());
        }
    }

    private Replication replication() {
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("""
                     SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint,
                            (SELECT CASE WHEN count(*) > 0 AND count(replay_lsn) = count(*)
                                         THEN min(replay_lsn - '0/0'::pg_lsn)::bigint END FROM pg_stat_replication)""")) {
            rs.next();
            long current = rs.getLong(1);
            long oldest = rs.getLong(2);
            return new Replication(current, rs.wasNull() ? null : oldest);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the standbys' replay positions: " + e.getMessage(), e);
        }
    }

    /** Whether PostgreSQL holds every count in these journal files (see {@link Watermark#holds}). */
    boolean allWritten(List<Path> files) {
        Map<UUID, Watermark> known = new HashMap<>();
        boolean[] held = {true};
        for (Path file : files) {
            long keep = MemberJournal.keepUntilMinuteOf(file);
            MemberJournal.read(file, JournalReplay.RECORDS_PER_CHUNK, chunk -> {
                if (!held[0]) {
                    return;
                }
                List<UUID> unknown = chunk.stream().map(AppliedSlice::epoch).filter(e -> !known.containsKey(e)).distinct().toList();
                Map<UUID, Watermark> read = Watermarks.read(dataSource, unknown);
                unknown.forEach(e -> known.put(e, read.getOrDefault(e, Watermark.NONE)));
                // A slice of a lost partition never reaches its watermark: a replay added it (issue 17.5).
                List<AppliedSlice> unheld = chunk.stream().filter(s -> !s.heldBy(known.get(s.epoch()))).toList();
                held[0] = unheld.isEmpty() || allRecovered(unheld, keep);
            });
            if (!held[0]) {
                return false;
            }
        }
        return true;
    }

    /** Whether a replay already added every one of these slices (of one file) to PostgreSQL ({@code journal_recovered_slice}). */
    private boolean allRecovered(List<AppliedSlice> slices, long keepMinute) {
        Set<List<Long>> distinct = new HashSet<>();
        slices.forEach(s -> distinct.add(List.of(s.routeKey(), s.batchGateway(), s.batchSequence())));
        Long[][] cols = new Long[3][distinct.size()];
        int i = 0;
        for (List<Long> key : distinct) {
            for (int col = 0; col < 3; col++) {
                cols[col][i] = key.get(col);
            }
            i++;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT count(*) FROM journal_recovered_slice r "
                     + "JOIN unnest(?::bigint[], ?::bigint[], ?::bigint[]) AS s(route_key, batch_gateway, batch_seq) "
                     + "ON r.route_key = s.route_key AND r.batch_gateway = s.batch_gateway AND r.batch_seq = s.batch_seq "
                     + "WHERE r.keep_minute = ?")) {
            for (int col = 0; col < 3; col++) {
                ps.setArray(col + 1, c.createArrayOf("bigint", cols[col]));
            }
            ps.setLong(4, keepMinute);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == distinct.size();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read journal_recovered_slice: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            log.warn("cannot delete journal file {}: {}", file, e.getMessage());
        }
    }
}
