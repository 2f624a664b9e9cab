package io.adgrid.persister.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import io.adgrid.persister.catalog.CatalogAdmin.Problem;
import io.adgrid.persister.catalog.CatalogAdmin.RefusedException;
import io.adgrid.pricing.Budget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Campaigns' budgets (schema V13), for the admin API, reports and the pacing monitor. A budget is
 * one row per campaign, replaced whole by each change; it has no history.
 */
public final class CampaignBudgets {

    private static final Logger log = LoggerFactory.getLogger(CampaignBudgets.class);
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('adgrid.catalog_version'))";
    private static final String SELECT = "SELECT campaign_id, daily_micros, total_micros, time_zone FROM campaign_budget";

    private final DataSource dataSource;

    public CampaignBudgets(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Sets the campaign's budget, or removes it when both caps are null.
     *
     * @param zoneId an IANA region id (default UTC when null), also known to PostgreSQL
     * @return the budget now in force, empty when there is none
     */
    public Optional<Budget> set(long campaignId, Long dailyMicros, Long totalMicros, String zoneId) {
        if (campaignId <= 0) {
            throw new RefusedException(Problem.INVALID, "campaign id must be a positive integer");
        }
        Budget budget = null;
        if (dailyMicros != null || totalMicros != null) {
            String problem = Budget.problem(dailyMicros, totalMicros);
            if (problem != null) {
                throw new RefusedException(Problem.INVALID, problem);
            }
            ZoneId zone;
            try {
                zone = Budget.zone(zoneId == null ? "UTC" : zoneId);
            } catch (IllegalArgumentException e) {
                throw new RefusedException(Problem.INVALID, e.getMessage());
            }
            budget = new Budget(dailyMicros, totalMicros, zone);
        } else if (zoneId != null) {
            try {
                Budget.zone(zoneId); // a bad zone is refused even when clearing, so a typo is seen
            } catch (IllegalArgumentException e) {
                throw new RefusedException(Problem.INVALID, e.getMessage());
            }
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(LOCK)) {
                    ps.execute();
                }
                requireCampaign(c, campaignId);
                if (budget == null) {
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM campaign_budget WHERE campaign_id = ?")) {
                        ps.setLong(1, campaignId);
                        ps.executeUpdate();
                    }
                } else {
                    requireKnownToPostgres(c, budget.zone());
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO campaign_budget (campaign_id, daily_micros, total_micros, time_zone)"
                            + " VALUES (?, ?, ?, ?) ON CONFLICT (campaign_id) DO UPDATE SET daily_micros = excluded.daily_micros,"
                            + " total_micros = excluded.total_micros, time_zone = excluded.time_zone, updated_at = now()")) {
                        ps.setLong(1, campaignId);
                        setNullable(ps, 2, budget.dailyMicros());
                        setNullable(ps, 3, budget.totalMicros());
                        ps.setString(4, budget.zone().getId());
                        ps.executeUpdate();
                    }
                }
                c.commit();
                log.info("catalog: campaign {} budget {}", campaignId, budget == null ? "removed" : budget);
                return Optional.ofNullable(budget);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new CatalogAdmin.UnavailableException("cannot set the budget of campaign " + campaignId + " (SQLState " + e.getSQLState() + ")");
        }
    }

    /** The campaign's budget, empty when it has none. */
    public Optional<Budget> get(long campaignId) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(SELECT + " WHERE campaign_id = ?")) {
            ps.setLong(1, campaignId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(budget(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new CatalogAdmin.UnavailableException("cannot read the budget of campaign " + campaignId + " (SQLState " + e.getSQLState() + ")");
        }
    }

    /** Every campaign's budget, read in the caller's transaction (a report's snapshot). */
    public static Map<Long, Budget> all(Connection c) throws SQLException {
        Map<Long, Budget> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getLong(1), budget(rs));
            }
        }
        return out;
    }

    private static Budget budget(ResultSet rs) throws SQLException {
        long daily = rs.getLong(2);
        Long d = rs.wasNull() ? null : daily;
        long total = rs.getLong(3);
        Long t = rs.wasNull() ? null : total;
        return new Budget(d, t, ZoneId.of(rs.getString(4)));
    }

    private static void setNullable(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    /** Reports compute local days in PostgreSQL too: a zone Java knows and PostgreSQL does not is refused. */
    private static void requireKnownToPostgres(Connection c, ZoneId zone) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_timezone_names WHERE name = ?")) {
            ps.setString(1, zone.getId());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    throw new RefusedException(Problem.INVALID, "time_zone " + zone.getId() + " is not known to the database; use another IANA name");
                }
            }
        }
    }

    private static void requireCampaign(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM campaign WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new RefusedException(Problem.NOT_FOUND, "no campaign " + id);
                }
            }
        }
    }
}
