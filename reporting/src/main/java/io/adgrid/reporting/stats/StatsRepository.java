package io.adgrid.reporting.stats;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;
import javax.sql.DataSource;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.Watermark;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.persister.writebehind.Watermarks;
import io.adgrid.pricing.Price;
import io.adgrid.pricing.PriceBook;
import io.adgrid.pricing.PricingModel;

/** Reads counter totals and write-behind watermarks from PostgreSQL, both from one snapshot. */
public final class StatsRepository {

    /** Totals (with spend) per group, the watermarks of the asked epochs and every campaign's prices, as of the same instant. */
    public record DbRead(Map<Object, Tally> groups, Map<UUID, Watermark> watermarks, PriceBook prices) {
    }

    /**
     * Read only the ids a top list can need: the first {@code n} by the summed {@code column} (ties by
     * id, as the list orders them), plus {@code alsoIds}.
     */
    public record Ranking(String column, int n, Set<Long> alsoIds) {
    }

    private final DataSource dataSource;

    public StatsRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * The reach sketches PostgreSQL holds for one campaign or banner, by UTC epoch day in [fromDay, toDay]
     * (issue 21): one sketch a day, the union of everything written.
     */
    public Map<Long, byte[]> reachSketches(Dimension dimension, long id, long fromDay, long toDay) throws SQLException {
        String table = dimension == Dimension.CAMPAIGN ? "reach_campaign_day" : "reach_banner_day";
        Map<Long, byte[]> out = new java.util.TreeMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT day, sketch FROM " + table + " WHERE " + dimension.column
                     + " = ? AND day BETWEEN ?::date AND ?::date AND sketch IS NOT NULL")) {
            ps.setLong(1, id);
            ps.setString(2, java.time.LocalDate.ofEpochDay(fromDay).toString());
            ps.setString(3, java.time.LocalDate.ofEpochDay(toDay).toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getObject(1, java.time.LocalDate.class).toEpochDay(), rs.getBytes(2));
                }
            }
        }
        return out;
    }

    public DbRead read(Selection selection, Grouping grouping, Collection<UUID> epochs) throws SQLException {
        return read(selection, grouping, epochs, null);
    }

    /** @param ranking null for every group; else a {@link Grouping.ById} is read for the ranked ids only */
    public DbRead read(Selection selection, Grouping grouping, Collection<UUID> epochs, Ranking ranking) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            // Watermarks and totals from one snapshot: a batch is either in both or in neither.
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                Map<UUID, Watermark> watermarks = Watermarks.read(c, epochs);
                Map<Object, Tally> groups = totals(c, selection, grouping, ranking);
                PriceBook prices = CampaignPrices.book(c);
                c.commit();
                return new DbRead(groups, watermarks, prices);
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            }
        }
    }

    /** Totals per group from the coarsest tables that answer the selection exactly (issue 22). */
    private static Map<Object, Tally> totals(Connection c, Selection selection, Grouping grouping, Ranking ranking) throws SQLException {
        long from = ceilMinute(selection.from());
        long to = ceilMinute(selection.to());
        TablePlan plan = TablePlan.of(from, to, TablePlan.coarsest(grouping, selection.from(), selection.to()),
                RollupBoundaries.read(c));
        Array ids = ranking == null ? null
                : c.createArrayOf("bigint", rankedIds(c, plan, selection, (Grouping.ById) grouping, ranking).toArray());
        Map<Object, Tally> out = new HashMap<>();
        for (TablePlan.Piece piece : plan.pieces()) {
            addTotals(c, piece, selection, grouping, ids, out);
        }
        return out;
    }

    /** The ranking's extra ids and PostgreSQL's first n by the column summed over every piece of the plan. */
    private static Set<Long> rankedIds(Connection c, TablePlan plan, Selection selection, Grouping.ById grouping, Ranking ranking)
            throws SQLException {
        Set<Long> out = new HashSet<>(ranking.alsoIds());
        if (plan.pieces().isEmpty()) {
            return out;
        }
        StringJoiner pieces = new StringJoiner(" UNION ALL ");
        for (TablePlan.Piece piece : plan.pieces()) {
            pieces.add("SELECT r." + grouping.dimension().column + " AS g, sum(r." + ranking.column() + ") AS v FROM "
                    + TablePlan.table(piece.table(), selection.dimension(), grouping) + " r WHERE " + where(piece, selection) + " GROUP BY 1");
        }
        String sql = "SELECT g FROM (" + pieces + ") u GROUP BY g HAVING sum(v) > 0 ORDER BY sum(v) DESC, g LIMIT ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (TablePlan.Piece piece : plan.pieces()) {
                i = bindWhere(ps, i, piece, selection);
            }
            ps.setInt(i, ranking.n());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    /** @param ids null for every group, else only these ids of the {@link Grouping.ById} */
    private static void addTotals(Connection c, TablePlan.Piece piece, Selection selection, Grouping grouping, Array ids,
                                  Map<Object, Tally> out) throws SQLException {
        String time = "r." + piece.table().column;
        // Each row is summed with the price its campaign had at the row's time (prices start at UTC
        // midnights, so a minute, hour or UTC-day row lies in one price period); Java prices each sum.
        String sql = "WITH price AS (SELECT campaign_id, model, price_micros, effective_from,"
                + " lead(effective_from) OVER (PARTITION BY campaign_id ORDER BY effective_from) AS until FROM campaign_price)"
                + " SELECT " + grouping.sql(time) + " AS g, sum(r.impressions), sum(r.clicks), sum(r.conversions), sum(r.revenue_micros),"
                + " sum(r.suspect_clicks), sum(r.invalid), p.model, p.price_micros"
                + " FROM " + TablePlan.table(piece.table(), selection.dimension(), grouping) + " r LEFT JOIN price p ON p.campaign_id = r.campaign_id"
                + " AND " + time + " >= p.effective_from AND (p.until IS NULL OR " + time + " < p.until)"
                + " WHERE " + where(piece, selection) + (ids == null ? "" : " AND " + grouping.sql(time) + " = ANY(?)")
                + " GROUP BY 1, p.model, p.price_micros";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (String p : grouping.sqlParameters()) {
                ps.setString(i++, p);
            }
            i = bindWhere(ps, i, piece, selection);
            if (ids != null) {
                ps.setArray(i, ids);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // A bucket start is read as a local date-time or an offset date-time, never through
                    // java.sql.Timestamp (which goes through the JVM's default zone and shifts times in its DST gaps).
                    Class<?> type = grouping instanceof Grouping.ByTime t ? t.sqlType() : null;
                    Object g = type == null ? rs.getObject(1) : rs.getObject(1, type);
                    Counts counts = new Counts(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7));
                    String model = rs.getString(8);
                    Price price = model == null ? null : new Price(PricingModel.valueOf(model), rs.getLong(9));
                    out.computeIfAbsent(grouping.keyOf(g), k -> new Tally()).add(counts, price);
                }
            }
        }
    }

    /** The rows of a piece's time range, and of the selected id if any; bound by {@link #bindWhere}. */
    private static String where(TablePlan.Piece piece, Selection selection) {
        String time = "r." + piece.table().column;
        return time + " >= ? AND " + time + " < ?" + (selection.dimension() == null ? "" : " AND r." + selection.dimension().column + " = ?");
    }

    /** Binds {@link #where} from parameter {@code i}; returns the next parameter's index. */
    private static int bindWhere(PreparedStatement ps, int i, TablePlan.Piece piece, Selection selection) throws SQLException {
        ps.setTimestamp(i++, Timestamp.from(Instant.ofEpochSecond(piece.from() * 60)));
        ps.setTimestamp(i++, Timestamp.from(Instant.ofEpochSecond(piece.to() * 60)));
        if (selection.dimension() != null) {
            ps.setLong(i++, selection.id());
        }
        return i;
    }

    /** The first minute starting at or after {@code t}, as the grid's filter counts it ({@link Selection#toFilter}). */
    private static long ceilMinute(Instant t) {
        return -Math.floorDiv(-t.toEpochMilli(), 60_000L);
    }
}
