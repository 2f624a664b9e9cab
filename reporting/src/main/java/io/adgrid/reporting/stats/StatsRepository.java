package io.adgrid.reporting.stats;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import io.adgrid.grid.counters.Counts;
import io.adgrid.grid.counters.Watermark;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.persister.writebehind.Watermarks;

/** Reads counter totals and write-behind watermarks from PostgreSQL, both from one snapshot. */
public final class StatsRepository {

    /** Totals per group, and the watermarks of the asked epochs, as of the same instant. */
    public record DbRead(Map<Object, Counts> groups, Map<UUID, Watermark> watermarks) {
    }

    private final DataSource dataSource;

    public StatsRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public DbRead read(Selection selection, Grouping grouping, Collection<UUID> epochs) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            // Watermarks and totals from one snapshot: a batch is either in both or in neither.
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                Map<UUID, Watermark> watermarks = Watermarks.read(c, epochs);
                Map<Object, Counts> groups = totals(c, selection, grouping);
                c.commit();
                return new DbRead(groups, watermarks);
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            }
        }
    }

    /** Totals per group from the coarsest tables that answer the selection exactly (issue 22). */
    private static Map<Object, Counts> totals(Connection c, Selection selection, Grouping grouping) throws SQLException {
        long from = ceilMinute(selection.from());
        long to = ceilMinute(selection.to());
        TablePlan plan = TablePlan.of(from, to, TablePlan.coarsest(grouping, selection.from(), selection.to()),
                RollupBoundaries.read(c));
        Map<Object, Counts> out = new HashMap<>();
        for (TablePlan.Piece piece : plan.pieces()) {
            addTotals(c, piece, selection, grouping, out);
        }
        return out;
    }

    private static void addTotals(Connection c, TablePlan.Piece piece, Selection selection, Grouping grouping,
                                  Map<Object, Counts> out) throws SQLException {
        String time = piece.table().column;
        String where = time + " >= ? AND " + time + " < ?" + (selection.dimension() == null ? "" : " AND " + selection.dimension().column + " = ?");
        String sql = "SELECT " + grouping.sql(time) + " AS g, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros),"
                + " sum(suspect_clicks)"
                + " FROM " + piece.table().table + " WHERE " + where + " GROUP BY 1";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (String p : grouping.sqlParameters()) {
                ps.setString(i++, p);
            }
            ps.setTimestamp(i++, Timestamp.from(Instant.ofEpochSecond(piece.from() * 60)));
            ps.setTimestamp(i++, Timestamp.from(Instant.ofEpochSecond(piece.to() * 60)));
            if (selection.dimension() != null) {
                ps.setLong(i, selection.id());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // A bucket start is read as a local date-time or an offset date-time, never through
                    // java.sql.Timestamp (which goes through the JVM's default zone and shifts times in its DST gaps).
                    Class<?> type = grouping instanceof Grouping.ByTime t ? t.sqlType() : null;
                    Object g = type == null ? rs.getObject(1) : rs.getObject(1, type);
                    Counts counts = new Counts(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6));
                    out.computeIfAbsent(grouping.keyOf(g), k -> new Counts()).add(counts);
                }
            }
        }
    }

    /** The first minute starting at or after {@code t}, as the grid's filter counts it ({@link Selection#toFilter}). */
    private static long ceilMinute(Instant t) {
        return -Math.floorDiv(-t.toEpochMilli(), 60_000L);
    }
}
