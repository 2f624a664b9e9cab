package io.adgrid.persister.writebehind;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import io.adgrid.grid.counters.CounterDeltas;
import io.adgrid.grid.counters.CounterKey;
import io.adgrid.grid.counters.Counts;
import io.adgrid.grid.counters.SealedBatch;
import io.adgrid.persister.rollup.CounterTable;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.schema.Database;

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
                (%2$s, campaign_id, banner_id, publisher_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
            SELECT to_timestamp(m * 60), cp, b, p, i, cl, cv, r, sc
            FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
                AS t(m, cp, b, p, i, cl, cv, r, sc)
            ON CONFLICT (%2$s, banner_id, publisher_id) DO UPDATE SET
                impressions = c.impressions + EXCLUDED.impressions,
                clicks = c.clicks + EXCLUDED.clicks,
                conversions = c.conversions + EXCLUDED.conversions,
                revenue_micros = c.revenue_micros + EXCLUDED.revenue_micros,
                suspect_clicks = c.suspect_clicks + EXCLUDED.suspect_clicks""";

    /** What one call wrote. */
    public record Result(int batches, int newBatches, int rows) {
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
                Set<UUID> advanced = advanceWatermarks(c, batches);
                CounterDeltas total = new CounterDeltas();
                int newBatches = 0;
                for (SealedBatch b : batches) {
                    if (advanced.contains(b.epoch())) {
                        total.addAll(b.deltas());
                        newBatches++;
                    }
                }
                int rows = addCounts(c, total);
                c.commit();
                return new Result(batches.size(), newBatches, rows);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
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
     * Adds {@code deltas} within the caller's transaction to every counter table that holds their
     * time: counter_minute, and counter_hour / counter_day for a late count whose hour or day was
     * already rolled up (issue 22). Returns the rows written.
     */
    public static int addCounts(Connection c, CounterDeltas deltas) throws SQLException {
        RollupBoundaries bounds = RollupBoundaries.readForShare(c);
        Map<CounterTable, CounterDeltas> byTable = new EnumMap<>(CounterTable.class);
        for (Map.Entry<CounterKey, Counts> e : deltas.asMap().entrySet()) {
            CounterKey k = e.getKey();
            long m = k.minute();
            if (bounds.inMinutes(m)) {
                byTable.computeIfAbsent(CounterTable.MINUTE, t -> new CounterDeltas()).add(k, e.getValue());
            }
            if (bounds.inHours(m)) {
                byTable.computeIfAbsent(CounterTable.HOUR, t -> new CounterDeltas()).add(rowKey(CounterTable.HOUR, k), e.getValue());
            }
            if (bounds.inDays(m)) {
                byTable.computeIfAbsent(CounterTable.DAY, t -> new CounterDeltas()).add(rowKey(CounterTable.DAY, k), e.getValue());
            }
        }
        // Partitions first, before this transaction holds any counter row (a rolled month's exist already).
        for (Map.Entry<CounterTable, CounterDeltas> t : byTable.entrySet()) {
            if (t.getKey() != CounterTable.MINUTE) {
                RollupJob.ensurePartitions(c, t.getKey(), t.getValue().asMap().keySet().stream().mapToLong(CounterKey::minute));
            }
        }
        int rows = 0;
        for (Map.Entry<CounterTable, CounterDeltas> t : byTable.entrySet()) {
            rows += addCounts(c, t.getKey(), t.getValue());
        }
        return rows;
    }

    private static CounterKey rowKey(CounterTable table, CounterKey k) {
        return new CounterKey(table.rowOf(k.minute()), k.campaignId(), k.bannerId(), k.publisherId());
    }

    private static int addCounts(Connection c, CounterTable table, CounterDeltas deltas) throws SQLException {
        List<Map.Entry<CounterKey, Counts>> rows = new ArrayList<>(deltas.asMap().entrySet());
        rows.removeIf(e -> e.getValue().isZero());
        // Lock order again (see advanceWatermarks): by primary key.
        rows.sort(Comparator.comparing((Map.Entry<CounterKey, Counts> e) -> e.getKey().minute())
                .thenComparing(e -> e.getKey().bannerId())
                .thenComparing(e -> e.getKey().publisherId()));
        try (PreparedStatement ps = c.prepareStatement(ADD_COUNTS.formatted(table.table, table.column))) {
            for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
                List<Map.Entry<CounterKey, Counts>> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT));
                int n = chunk.size();
                Long[][] cols = new Long[9][n];
                for (int i = 0; i < n; i++) {
                    CounterKey k = chunk.get(i).getKey();
                    Counts v = chunk.get(i).getValue();
                    cols[0][i] = k.minute();
                    cols[1][i] = k.campaignId();
                    cols[2][i] = k.bannerId();
                    cols[3][i] = k.publisherId();
                    cols[4][i] = v.impressions;
                    cols[5][i] = v.clicks;
                    cols[6][i] = v.conversions;
                    cols[7][i] = v.revenueMicros;
                    cols[8][i] = v.suspectClicks;
                }
                for (int col = 0; col < cols.length; col++) {
                    Array array = c.createArrayOf("bigint", cols[col]);
                    ps.setArray(col + 1, array);
                }
                ps.executeUpdate();
            }
        }
        return rows.size();
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
