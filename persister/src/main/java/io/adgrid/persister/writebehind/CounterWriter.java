package io.adgrid.persister.writebehind;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.reach.ReachSketch;
import io.adgrid.grid.port.Watermark;
import io.adgrid.persister.rollup.CounterTable;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.rollup.Summary;
import io.adgrid.persister.schema.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes sealed batches to PostgreSQL in one transaction: first the watermarks (which batches
 * are new), then the counts of the new ones only, added to what the table holds. A batch written
 * before is skipped, so the same batch written twice leaves the same totals, and a late event for
 * a minute already written adds to it.
 */
public final class CounterWriter {

    /** Rows per statement: large enough to amortise the round trip, small enough for PostgreSQL's parameter arrays. */
    static final int ROWS_PER_STATEMENT = 5_000;

    private static final String ADVANCE_WATERMARKS = """
            INSERT INTO flush_watermark AS w (epoch, last_seq, cut_minute, full_seq)
            SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[])
            ON CONFLICT (epoch) DO UPDATE SET last_seq = EXCLUDED.last_seq, cut_minute = EXCLUDED.cut_minute,
                full_seq = greatest(w.full_seq, EXCLUDED.full_seq), updated_at = now()
                WHERE w.last_seq < EXCLUDED.last_seq
            RETURNING epoch""";

    /** Adds rows to one counter table (its name and time column filled in from {@link CounterTable}). */
    private static final String ADD_COUNTS = """
            INSERT INTO %1$s AS c
                (%2$s, campaign_id, banner_id, publisher_id, impressions, clicks, conversions, revenue_micros, suspect_clicks, invalid)
            SELECT to_timestamp(m * 60), cp, b, p, i, cl, cv, r, sc, iv
            FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],
                    ?::bigint[])
                AS t(m, cp, b, p, i, cl, cv, r, sc, iv)
            ON CONFLICT (%2$s, banner_id, publisher_id) DO UPDATE SET
                impressions = c.impressions + EXCLUDED.impressions,
                clicks = c.clicks + EXCLUDED.clicks,
                conversions = c.conversions + EXCLUDED.conversions,
                revenue_micros = c.revenue_micros + EXCLUDED.revenue_micros,
                suspect_clicks = c.suspect_clicks + EXCLUDED.suspect_clicks,
                invalid = c.invalid + EXCLUDED.invalid""";

    private static final String QUARANTINE = """
            INSERT INTO counter_quarantine (minute, campaign_id, banner_id, publisher_id, impressions, clicks, conversions,
                revenue_micros, suspect_clicks, invalid, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";

    private static final Logger log = LoggerFactory.getLogger(CounterWriter.class);

    /** What one call wrote; {@code quarantined}: rows PostgreSQL refused, kept in {@code counter_quarantine} instead. */
    public record Result(int batches, int newBatches, int rows, List<Quarantined> quarantined) {
        public Result(int batches, int newBatches, int rows) {
            this(batches, newBatches, rows, List.of());
        }
    }

    /** A counter row PostgreSQL refused, with its error. */
    public record Quarantined(CounterKey key, Counts counts, String reason) {
    }

    /** What {@link #addCounts} did: rows added, and rows set aside. */
    public record Added(int rows, List<Quarantined> quarantined) {
    }

    private final DataSource dataSource;
    private final Set<LocalDate> daysWithPartitions = ConcurrentHashMap.newKeySet();

    public CounterWriter(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** After this returns, every given batch is in PostgreSQL (now or from an earlier write). */
    public Result write(Collection<SealedBatch> batches) throws SQLException {
        if (batches.isEmpty()) {
            return new Result(0, 0, 0);
        }
        // Before the transaction: creating a partition must not wait behind our own row locks.
        for (SealedBatch b : batches) {
            ensurePartitions(b.deltas());
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                refuseEndedLives(c, batches);
                refuseOverLostWrites(c, batches);
                Set<UUID> advanced = advanceWatermarks(c, batches);
                List<CounterDeltas> fresh = new ArrayList<>();
                List<ReachSketch> reach = new ArrayList<>();
                for (SealedBatch b : batches) {
                    if (advanced.contains(b.epoch())) {
                        fresh.add(b.deltas());
                        reach.addAll(b.reach());
                    }
                }
                int rows = 0;
                List<Quarantined> quarantined = new ArrayList<>();
                for (CounterDeltas part : mergedOrApart(fresh)) {
                    Added added = addCounts(c, part);
                    rows += added.rows();
                    quarantined.addAll(added.quarantined());
                }
                ReachWriter.add(c, reach);
                c.commit();
                return new Result(batches.size(), fresh.size(), rows, quarantined);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Throws {@link EndedLifeException} when a batch was sealed in a grid life that a newer one ended
     * (fault runner, seed 3). The row is read FOR SHARE: a new life ends the old ones with an UPDATE
     * before it replays their journals, so this transaction either commits first (and the replay
     * finds its watermarks) or sees the end and writes nothing. A life PostgreSQL does not know (no
     * journal, or a standby promoted before the row reached it) is not refused.
     */
    private static void refuseEndedLives(Connection c, Collection<SealedBatch> batches) throws SQLException {
        Set<UUID> lives = new HashSet<>();
        for (SealedBatch b : batches) {
            if (b.life() != null) {
                lives.add(b.life());
            }
        }
        if (lives.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, ended_by, ended_at FROM grid_life WHERE id = ANY(?) AND ended_at IS NOT NULL FOR SHARE")) {
            ps.setArray(1, c.createArrayOf("uuid", lives.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw new EndedLifeException(rs.getString(1), rs.getString(2), rs.getString(3));
                }
            }
        }
    }

    /**
     * Throws {@link LostWritesException} when PostgreSQL holds less of an epoch than the grid
     * acknowledged before sealing this batch (issue 17.6). The watermark never moves back, so only a
     * database that lost commits can be behind: writing this batch would advance it past the lost ones.
     */
    private static void refuseOverLostWrites(Connection c, Collection<SealedBatch> batches) throws SQLException {
        List<UUID> epochs = new ArrayList<>();
        for (SealedBatch b : batches) {
            if (b.acknowledged().lastSeq() > 0) {
                epochs.add(b.epoch());
            }
        }
        if (epochs.isEmpty()) {
            return;
        }
        Map<UUID, Watermark> held = Watermarks.read(c, epochs);
        Map<UUID, Watermark> behind = new HashMap<>();
        for (SealedBatch b : batches) {
            if (b.acknowledged().lastSeq() > held.getOrDefault(b.epoch(), Watermark.NONE).lastSeq()) {
                behind.put(b.epoch(), b.acknowledged());
            }
        }
        if (!behind.isEmpty()) {
            throw new LostWritesException(behind);
        }
    }

    /**
     * Sets each epoch's watermark to the given one unless PostgreSQL already holds as much (a repair
     * after lost writes, in the caller's transaction).
     */
    public static void advanceWatermarks(Connection c, Map<UUID, Watermark> to) throws SQLException {
        UUID[] epochs = to.keySet().toArray(new UUID[0]);
        Arrays.sort(epochs);
        Long[] seqs = new Long[epochs.length];
        Long[] cuts = new Long[epochs.length];
        Long[] fullSeqs = new Long[epochs.length];
        for (int i = 0; i < epochs.length; i++) {
            Watermark w = to.get(epochs[i]);
            seqs[i] = w.lastSeq();
            cuts[i] = w.cutMinute();
            fullSeqs[i] = w.fullSeq();
        }
        try (PreparedStatement ps = c.prepareStatement(ADVANCE_WATERMARKS)) {
            ps.setArray(1, c.createArrayOf("uuid", epochs));
            ps.setArray(2, c.createArrayOf("bigint", seqs));
            ps.setArray(3, c.createArrayOf("bigint", cuts));
            ps.setArray(4, c.createArrayOf("bigint", fullSeqs));
            ps.executeQuery().close();
        }
    }

    private static Set<UUID> advanceWatermarks(Connection c, Collection<SealedBatch> batches) throws SQLException {
        // An entry has at most one sealed batch, so a call holds one batch per epoch. Two would be
        // wrong to write at once: the watermark could only skip both or neither.
        Map<UUID, SealedBatch> byEpoch = new HashMap<>();
        for (SealedBatch b : batches) {
            if (byEpoch.put(b.epoch(), b) != null) {
                throw new IllegalArgumentException("two batches of epoch " + b.epoch() + " in one write");
            }
        }
        UUID[] epochs = byEpoch.keySet().toArray(new UUID[0]);
        // One lock order for every writer (a flush and a member's own cycle may write the same
        // batches at once): rows are locked in array order, so unsorted arrays can deadlock.
        Arrays.sort(epochs);
        Long[] seqs = new Long[epochs.length];
        Long[] cuts = new Long[epochs.length];
        Long[] fullSeqs = new Long[epochs.length];
        for (int i = 0; i < epochs.length; i++) {
            SealedBatch b = byEpoch.get(epochs[i]);
            seqs[i] = b.seq();
            cuts[i] = b.cutMinute();
            fullSeqs[i] = b.full() ? b.seq() : 0L;
        }
        Set<UUID> advanced = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(ADVANCE_WATERMARKS)) {
            ps.setArray(1, c.createArrayOf("uuid", epochs));
            ps.setArray(2, c.createArrayOf("bigint", seqs));
            ps.setArray(3, c.createArrayOf("bigint", cuts));
            ps.setArray(4, c.createArrayOf("bigint", fullSeqs));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    advanced.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return advanced;
    }

    /**
     * The batches' counts summed into one set of rows (one upsert per key), or, should a sum leave
     * a long, each batch apart: PostgreSQL then refuses the key that does not fit, and it is quarantined.
     */
    private static List<CounterDeltas> mergedOrApart(List<CounterDeltas> parts) {
        CounterDeltas total = new CounterDeltas();
        try {
            parts.forEach(total::addAll);
            return List.of(total);
        } catch (ArithmeticException e) {
            return parts;
        }
    }

    /** Adds users to PostgreSQL's reach by union, in the caller's transaction (a journal replay's; see {@link ReachWriter}). */
    public static void addReach(Connection c, java.util.Collection<ReachSketch> sketches) throws SQLException {
        ReachWriter.add(c, sketches);
    }

    /**
     * Adds {@code deltas} within the caller's transaction to every counter table that holds their
     * time: counter_minute, and counter_hour / counter_day for a late count whose hour or day was
     * already rolled up (issue 22). A statement PostgreSQL refuses for its data (a sum past bigint,
     * a constraint) is undone to its savepoint and split in halves until the refused rows are found;
     * those go to {@code counter_quarantine} (logged), every other row is added. A minute row set
     * aside is kept out of the hour and day tables too. Any other error (connection, deadlock) fails
     * the call as before. A count for a time the day retention dropped (before {@code days_from}, V15)
     * goes to no table, as none holds that time any more (reports refuse it): it is logged, not added.
     */
    public static Added addCounts(Connection c, CounterDeltas deltas) throws SQLException {
        RollupBoundaries bounds = RollupBoundaries.readForShare(c);
        CounterDeltas minutes = new CounterDeltas();
        Map<CounterTable, List<Map.Entry<CounterKey, Counts>>> rolled = new EnumMap<>(CounterTable.class);
        Counts expired = new Counts();
        int expiredRows = 0;
        for (Map.Entry<CounterKey, Counts> e : deltas.asMap().entrySet()) {
            long m = e.getKey().minute();
            if (bounds.dropped(m)) {
                expiredRows++;
                try {
                    expired.add(e.getValue());
                } catch (ArithmeticException tooLarge) {
                    // only logged: the sum shown stops short, the write goes on
                }
            }
            if (bounds.inMinutes(m)) {
                minutes.add(e.getKey(), e.getValue());
            }
            if (bounds.inHours(m)) {
                rolled.computeIfAbsent(CounterTable.HOUR, t -> new ArrayList<>()).add(e);
            }
            if (bounds.inDays(m)) {
                rolled.computeIfAbsent(CounterTable.DAY, t -> new ArrayList<>()).add(e);
            }
        }
        if (expiredRows > 0) {
            log.warn("{} counter row(s) for times before {} are not written: the day retention (ADGRID_ROLLUP_DAYRETENTION) dropped"
                            + " that time from every table (impressions {}, clicks {}, suspect clicks {}, invalid {}, conversions {}, revenue micros {})",
                    expiredRows, java.time.Instant.ofEpochSecond(bounds.daysFrom() * 60), expired.impressions, expired.clicks,
                    expired.suspectClicks, expired.invalid, expired.conversions, expired.revenueMicros);
        }
        // Partitions first, before this transaction holds any counter row (a rolled month's exist already).
        for (Map.Entry<CounterTable, List<Map.Entry<CounterKey, Counts>>> t : rolled.entrySet()) {
            RollupJob.ensurePartitions(c, t.getKey(), t.getValue().stream().mapToLong(e -> e.getKey().minute()));
            for (Summary summary : Summary.of(t.getKey())) {
                RollupJob.ensurePartitions(c, summary.table, t.getValue().stream().mapToLong(e -> e.getKey().minute()));
            }
        }
        Added added = addCounts(c, CounterTable.MINUTE, minutes);
        Set<CounterKey> setAside = new HashSet<>();
        added.quarantined().forEach(q -> setAside.add(q.key()));
        int rows = added.rows();
        List<Quarantined> quarantined = new ArrayList<>(added.quarantined());
        for (Map.Entry<CounterTable, List<Map.Entry<CounterKey, Counts>>> t : rolled.entrySet()) {
            List<Map.Entry<CounterKey, Counts>> kept = t.getValue().stream().filter(e -> !setAside.contains(e.getKey())).toList();
            RolledAdd a = addRolled(c, t.getKey(), kept);
            rows += a.added().rows();
            quarantined.addAll(a.added().quarantined());
            addToSummaries(c, t.getKey(), a.kept());
        }
        return new Added(rows, quarantined);
    }

    /** What {@link #addRolled} did, and the minute counts it added (those of a row set aside are not). */
    private record RolledAdd(Added added, List<Map.Entry<CounterKey, Counts>> kept) {
    }

    /** Minute counts added to the hour or day rows holding them; a sum past a long is added minute by minute, so PostgreSQL refuses (and quarantines) only what does not fit. */
    private static RolledAdd addRolled(Connection c, CounterTable table, List<Map.Entry<CounterKey, Counts>> minuteRows) throws SQLException {
        CounterDeltas rows = new CounterDeltas();
        try {
            minuteRows.forEach(e -> rows.add(rowKey(table, e.getKey()), e.getValue()));
            Added a = addCounts(c, table, rows);
            Set<CounterKey> refused = new HashSet<>();
            a.quarantined().forEach(q -> refused.add(q.key()));
            return new RolledAdd(a, minuteRows.stream().filter(e -> !refused.contains(rowKey(table, e.getKey()))).toList());
        } catch (ArithmeticException overflow) {
            int added = 0;
            List<Quarantined> quarantined = new ArrayList<>();
            List<Map.Entry<CounterKey, Counts>> kept = new ArrayList<>();
            for (Map.Entry<CounterKey, Counts> e : minuteRows) {
                CounterDeltas one = new CounterDeltas();
                one.add(rowKey(table, e.getKey()), e.getValue());
                Added a = addCounts(c, table, one);
                added += a.rows();
                quarantined.addAll(a.quarantined());
                if (a.quarantined().isEmpty()) {
                    kept.add(e);
                }
            }
            return new RolledAdd(new Added(added, quarantined), kept);
        }
    }

    /**
     * Adds the minute counts just added to a rollup table to its summaries (V14), in the same
     * transaction, so each summary keeps equal to its table. A summary row is a sum over many rows
     * that each fit a long; one past a long (over 9.2e18 in an hour or a day of a campaign) is refused
     * and fails the transaction, to be retried, rather than let the summary and its table differ.
     */
    private static void addToSummaries(Connection c, CounterTable table, List<Map.Entry<CounterKey, Counts>> minuteRows) throws SQLException {
        for (Summary summary : Summary.of(table)) {
            CounterDeltas deltas = new CounterDeltas();
            minuteRows.forEach(e -> deltas.add(summary.keyOf(rowKey(table, e.getKey())), e.getValue()));
            List<Map.Entry<CounterKey, Counts>> rows = new ArrayList<>(deltas.asMap().entrySet());
            rows.removeIf(e -> e.getValue().isZero());
            if (rows.isEmpty()) {
                continue;
            }
            // Lock order: by the summary's key, as every writer sorts it.
            rows.sort(Comparator.comparing((Map.Entry<CounterKey, Counts> e) -> e.getKey().minute())
                    .thenComparing(e -> e.getKey().campaignId())
                    .thenComparing(e -> e.getKey().bannerId()));
            try (PreparedStatement ps = c.prepareStatement(summary.addSql())) {
                for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
                    bindColumns(c, ps, rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT)), false);
                    ps.executeUpdate();
                }
            }
        }
    }

    private static CounterKey rowKey(CounterTable table, CounterKey k) {
        return new CounterKey(table.rowOf(k.minute()), k.campaignId(), k.bannerId(), k.publisherId());
    }

    private static Added addCounts(Connection c, CounterTable table, CounterDeltas deltas) throws SQLException {
        List<Map.Entry<CounterKey, Counts>> rows = new ArrayList<>(deltas.asMap().entrySet());
        rows.removeIf(e -> e.getValue().isZero());
        // Lock order again (see advanceWatermarks): by primary key.
        rows.sort(Comparator.comparing((Map.Entry<CounterKey, Counts> e) -> e.getKey().minute())
                .thenComparing(e -> e.getKey().bannerId())
                .thenComparing(e -> e.getKey().publisherId()));
        List<Quarantined> quarantined = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ADD_COUNTS.formatted(table.table, table.column))) {
            for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
                addIsolating(c, ps, rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT)), quarantined);
            }
        }
        return new Added(rows.size() - quarantined.size(), quarantined);
    }

    private static void addIsolating(Connection c, PreparedStatement ps, List<Map.Entry<CounterKey, Counts>> chunk,
                                     List<Quarantined> quarantined) throws SQLException {
        Savepoint before = c.setSavepoint();
        try {
            addChunk(c, ps, chunk);
            c.releaseSavepoint(before);
        } catch (SQLException e) {
            if (!refusedForItsData(e)) {
                throw e;
            }
            c.rollback(before);
            if (chunk.size() == 1) {
                Quarantined q = new Quarantined(chunk.get(0).getKey(), chunk.get(0).getValue(), String.valueOf(e.getMessage()));
                quarantine(c, q);
                quarantined.add(q);
                return;
            }
            int half = chunk.size() / 2;
            addIsolating(c, ps, chunk.subList(0, half), quarantined);
            addIsolating(c, ps, chunk.subList(half, chunk.size()), quarantined);
        }
    }

    /** SQLSTATE class 22 (data exception: numeric_value_out_of_range, ...) or 23 (integrity constraint). */
    static boolean refusedForItsData(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    private static void quarantine(Connection c, Quarantined q) throws SQLException {
        CounterKey k = q.key();
        Counts v = q.counts();
        log.error("PostgreSQL refused counter row (minute {}, campaign {}, banner {}, publisher {}): {}; its counts "
                        + "(impressions {}, clicks {}, suspect clicks {}, invalid {}, conversions {}, revenue micros {}) are kept in counter_quarantine "
                        + "and every other row is written", k.minute(), k.campaignId(), k.bannerId(), k.publisherId(), q.reason(),
                v.impressions, v.clicks, v.suspectClicks, v.invalid, v.conversions, v.revenueMicros);
        try (PreparedStatement ps = c.prepareStatement(QUARANTINE)) {
            ps.setLong(1, k.minute());
            ps.setLong(2, k.campaignId());
            ps.setLong(3, k.bannerId());
            ps.setLong(4, k.publisherId());
            ps.setLong(5, v.impressions);
            ps.setLong(6, v.clicks);
            ps.setLong(7, v.conversions);
            ps.setBigDecimal(8, java.math.BigDecimal.valueOf(v.revenueMicros));
            ps.setLong(9, v.suspectClicks);
            ps.setLong(10, v.invalid);
            ps.setString(11, q.reason().length() > 1000 ? q.reason().substring(0, 1000) : q.reason());
            ps.executeUpdate();
        }
    }

    private static void addChunk(Connection c, PreparedStatement ps, List<Map.Entry<CounterKey, Counts>> chunk) throws SQLException {
        bindColumns(c, ps, chunk, true);
        ps.executeUpdate();
    }

    /**
     * Binds {@code chunk} as one bigint array per column: minute, campaign, banner, (publisher,)
     * impressions, clicks, conversions, revenue, suspect clicks, invalid; the summaries have no publisher.
     */
    private static void bindColumns(Connection c, PreparedStatement ps, List<Map.Entry<CounterKey, Counts>> chunk,
                                    boolean withPublisher) throws SQLException {
        int n = chunk.size();
        int keys = withPublisher ? 4 : 3;
        Long[][] cols = new Long[keys + 6][n];
        for (int i = 0; i < n; i++) {
            CounterKey k = chunk.get(i).getKey();
            Counts v = chunk.get(i).getValue();
            cols[0][i] = k.minute();
            cols[1][i] = k.campaignId();
            cols[2][i] = k.bannerId();
            if (withPublisher) {
                cols[3][i] = k.publisherId();
            }
            cols[keys][i] = v.impressions;
            cols[keys + 1][i] = v.clicks;
            cols[keys + 2][i] = v.conversions;
            cols[keys + 3][i] = v.revenueMicros;
            cols[keys + 4][i] = v.suspectClicks;
            cols[keys + 5][i] = v.invalid;
        }
        for (int col = 0; col < cols.length; col++) {
            Array array = c.createArrayOf("bigint", cols[col]);
            ps.setArray(col + 1, array);
        }
    }

    /** Partitions are made days ahead at start; this covers a process that has run past them. */
    public void ensurePartitions(CounterDeltas deltas) {
        for (CounterKey k : deltas.asMap().keySet()) {
            LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(k.minute(), 24 * 60));
            if (!daysWithPartitions.contains(day)) {
                Database.ensurePartitions(dataSource, day, 1);
                daysWithPartitions.add(day);
            }
        }
    }
}
