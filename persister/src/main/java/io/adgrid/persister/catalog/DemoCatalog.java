package io.adgrid.persister.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import java.time.ZoneId;
import java.util.Map;
import io.adgrid.pricing.Budget;
import io.adgrid.pricing.Price;
import io.adgrid.pricing.PricingModel;

/**
 * The demo catalog of CONTRACT section 3: campaigns 1..10 (secret {@code demo-secret-c}, key id 0),
 * banners 1..1000 (banner b in campaign ((b-1) % 10) + 1, landing https://example.com/landing/b),
 * publishers 1..100, and a price for each campaign from the beginning (issue 21, {@link #priceOf}), and budgets for
 * two of them ({@link #budgets}).
 * Seeded only into an empty catalog, so running it twice changes nothing.
 */
public final class DemoCatalog {

    public static final int CAMPAIGNS = 10;
    public static final int BANNERS = 1000;
    public static final int PUBLISHERS = 100;

    private DemoCatalog() {
    }

    public static long campaignOf(long banner) {
        return ((banner - 1) % CAMPAIGNS) + 1;
    }

    public static String secretOf(long campaign) {
        return "demo-secret-" + campaign;
    }

    /**
     * Campaign c's demo price: CPM 2.50 (c = 1, 4, 7, 10), CPC 0.40 (c = 2, 5, 8), CPA 5.00 (c = 3, 6, 9),
     * so every model has demo traffic to bill.
     */
    public static Price priceOf(long campaign) {
        return switch ((int) (campaign % 3)) {
            case 1 -> new Price(PricingModel.CPM, 2_500_000);
            case 2 -> new Price(PricingModel.CPC, 400_000);
            default -> new Price(PricingModel.CPA, 5_000_000);
        };
    }

    /**
     * The demo budgets (issue 21): campaign 5 (CPC 0.40) may spend 20.00 a day, its days in New York;
     * campaign 10 (CPM 2.50) 1,000.00 in all. The other campaigns have none.
     */
    public static Map<Long, Budget> budgets() {
        return Map.of(5L, new Budget(20_000_000L, null, ZoneId.of("America/New_York")),
                10L, new Budget(null, 1_000_000_000L, ZoneId.of("UTC")));
    }

    /** @return true when it seeded, false when the catalog already had campaigns */
    public static boolean seedIfEmpty(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // Serialise concurrent seeders (several processes started at once).
                st.execute("LOCK TABLE campaign IN EXCLUSIVE MODE");
                try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM campaign)")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        c.rollback();
                        return false;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO campaign (id, name, currency) VALUES (?, ?, 'USD')")) {
                for (long id = 1; id <= CAMPAIGNS; id++) {
                    ps.setLong(1, id);
                    ps.setString(2, "Demo campaign " + id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (?, '0', ?)")) {
                for (long id = 1; id <= CAMPAIGNS; id++) {
                    ps.setLong(1, id);
                    ps.setString(2, secretOf(id));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO campaign_price (campaign_id, effective_from, model, price_micros) VALUES (?, '1970-01-01T00:00:00Z', ?, ?)")) {
                for (long id = 1; id <= CAMPAIGNS; id++) {
                    ps.setLong(1, id);
                    ps.setString(2, priceOf(id).model().name());
                    ps.setLong(3, priceOf(id).micros());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO campaign_budget (campaign_id, daily_micros, total_micros, time_zone) VALUES (?, ?, ?, ?)")) {
                for (Map.Entry<Long, Budget> b : budgets().entrySet()) {
                    ps.setLong(1, b.getKey());
                    ps.setObject(2, b.getValue().dailyMicros(), java.sql.Types.BIGINT);
                    ps.setObject(3, b.getValue().totalMicros(), java.sql.Types.BIGINT);
                    ps.setString(4, b.getValue().zone().getId());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO banner (id, campaign_id, landing_url) VALUES (?, ?, ?)")) {
                for (long id = 1; id <= BANNERS; id++) {
                    ps.setLong(1, id);
                    ps.setLong(2, campaignOf(id));
                    ps.setString(3, "https://example.com/landing/" + id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO publisher (id, name) VALUES (?, ?)")) {
                for (long id = 1; id <= PUBLISHERS; id++) {
                    ps.setLong(1, id);
                    ps.setString(2, "Demo publisher " + id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot seed the demo catalog: " + e.getMessage(), e);
        }
    }
}
