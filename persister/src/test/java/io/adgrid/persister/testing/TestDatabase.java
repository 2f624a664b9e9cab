package io.adgrid.persister.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A throwaway real PostgreSQL for tests: an embedded server in a temporary directory, a pool on it
 * and AdGrid's schema. Start one per test class ({@code @BeforeAll}) and close it in {@code @AfterAll}.
 * Shared with other modules through the persister test-jar.
 */
public final class TestDatabase implements AutoCloseable {

    private final EmbeddedDatabase server;
    private final HikariDataSource pool;

    private TestDatabase(EmbeddedDatabase server, HikariDataSource pool) {
        this.server = server;
        this.pool = pool;
    }

    /** Starts a fresh server and migrates it (schema plus the partitions around today). */
    public static TestDatabase start() {
        EmbeddedDatabase server = EmbeddedDatabase.startTemporary();
        HikariDataSource pool = null;
        try {
            pool = Database.pool(server.settings(), "test-db", 8);
            Database.migrate(pool);
            return new TestDatabase(server, pool);
        } catch (RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            server.close();
            throw e;
        }
    }

    /**
     * A fresh server, migrated and holding the demo catalog, for AdGrid processes that reach it by
     * its URL and make their own pools. The caller closes it.
     */
    public static EmbeddedDatabase startDemoServer() {
        EmbeddedDatabase server = EmbeddedDatabase.startTemporary();
        try (HikariDataSource pool = Database.pool(server.settings(), "test-seed", 2)) {
            Database.migrate(pool);
            DemoCatalog.seedIfEmpty(pool);
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public DataSource dataSource() {
        return pool;
    }

    public DatabaseSettings settings() {
        return server.settings();
    }

    /** Runs one statement (DDL or DML) with optional parameters; returns the update count. */
    public int sql(String sql, Object... params) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, sql, params)) {
            ps.execute();
            return Math.max(0, ps.getUpdateCount());
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row as a long; 0 when there is no row or it is NULL (a sum over nothing). */
    public long sqlLong(String sql, Object... params) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row as a string, or null. */
    public String sqlString(String sql, Object... params) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Sums of counter_minute over the rows matching {@code where} (an SQL condition, "true" for all). */
    public Counts counterTotals(String where, Object... params) {
        return tableTotals("counter_minute", where, params);
    }

    /** Sums of a counter table (counter_minute, counter_hour, counter_day) over the rows matching {@code where}. */
    public Counts tableTotals(String table, String where, Object... params) {
        String sql = "SELECT coalesce(sum(impressions), 0), coalesce(sum(clicks), 0), coalesce(sum(conversions), 0),"
                + " coalesce(sum(revenue_micros), 0), coalesce(sum(suspect_clicks), 0), coalesce(sum(invalid), 0) FROM " + table
                + " WHERE " + where;
        try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6));
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The union of the reach sketches of the rows matching {@code where} in a reach table, estimated (issue 21). */
    public long reach(String table, String where, Object... params) {
        String sql = "SELECT sketch FROM " + table + " WHERE sketch IS NOT NULL AND " + where;
        java.util.List<byte[]> sketches = new java.util.ArrayList<>();
        try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                sketches.add(rs.getBytes(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
        return io.adgrid.grid.reach.Reach.estimate(sketches);
    }

    /** Every row of counter_minute, keyed as the grid keys counts (minute in epoch minutes). */
    public CounterDeltas counterRows() {
        String sql = "SELECT (extract(epoch FROM minute) / 60)::bigint, campaign_id, banner_id, publisher_id,"
                + " impressions, clicks, conversions, revenue_micros, suspect_clicks, invalid FROM counter_minute";
        CounterDeltas rows = new CounterDeltas();
        try (Connection c = pool.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                rows.add(new CounterKey(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)),
                        new Counts(rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10)));
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Sums of all counters PostgreSQL holds. */
    public Counts counterTotals() {
        return counterTotals("true");
    }

    /** Empties the counters (minutes, hours, days) and the write-behind watermarks (the partitions and rollup boundaries stay). */
    public void truncateCounters() {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                st.execute("TRUNCATE counter_minute, counter_hour, counter_day, campaign_hour, campaign_day, banner_day, flush_watermark,"
                        + " reach_banner_day, reach_campaign_day");
                return;
            } catch (SQLException e) {
                // A report reading both tables meanwhile can deadlock with TRUNCATE's locks; PostgreSQL
                // then cancels one of the two, and the truncate is simply tried again.
                if (!"40P01".equals(e.getSQLState()) || attempt == 5) {
                    throw new IllegalStateException("cannot truncate the counters: " + e.getMessage(), e);
                }
            }
        }
    }

    /** Empties the catalog (campaigns with their keys, prices and budgets, banners, publishers, deletions). */
    public void truncateCatalog() {
        sql("TRUNCATE campaign_budget, campaign_price, campaign_secret, banner, publisher, campaign, catalog_deletion");
    }

    /** Empties the journal registrations, the replayed-slice ledger and the write-behind watermarks (grid lives stay). */
    public void truncateJournals() {
        sql("TRUNCATE journal_directory, journal_recovered_slice, flush_watermark");
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }

    @Override
    public void close() {
        try {
            pool.close();
        } finally {
            server.close();
        }
    }
}
