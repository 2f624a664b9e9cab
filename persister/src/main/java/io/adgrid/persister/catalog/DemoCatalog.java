package io.adgrid.persister.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The demo catalog of CONTRACT section 3: campaigns 1..10 (secret {@code demo-secret-c}, key id 0),
 * banners 1..1000 (banner b in campaign ((b-1) % 10) + 1, landing https://example.com/landing/b),
 * publishers 1..100. Seeded only into an empty catalog, so running it twice changes nothing.
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
