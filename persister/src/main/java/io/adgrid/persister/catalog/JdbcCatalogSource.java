package io.adgrid.persister.catalog;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import io.adgrid.catalog.Banner;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.CatalogSnapshot;
import io.adgrid.catalog.CatalogSource;

/** Reads the whole catalog from PostgreSQL in one repeatable-read transaction (a consistent snapshot). */
public final class JdbcCatalogSource implements CatalogSource {

    private final DataSource dataSource;

    public JdbcCatalogSource(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public CatalogSnapshot load() {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            List<Campaign> campaigns = new ArrayList<>();
            List<Banner> banners = new ArrayList<>();
            List<Long> publishers = new ArrayList<>();
            try (Statement st = c.createStatement()) {
                st.setFetchSize(10_000);
                try (ResultSet rs = st.executeQuery("SELECT id, name, currency, secret FROM campaign")) {
                    while (rs.next()) {
                        campaigns.add(Campaign.of(rs.getLong(1), rs.getString(2), rs.getString(3).trim(), rs.getString(4)));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT id, campaign_id, landing_url FROM banner")) {
                    while (rs.next()) {
                        banners.add(new Banner(rs.getLong(1), rs.getLong(2), rs.getString(3)));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT id FROM publisher")) {
                    while (rs.next()) {
                        publishers.add(rs.getLong(1));
                    }
                }
            }
            c.commit();
            return new CatalogSnapshot(campaigns, banners, publishers);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the catalog: " + e.getMessage(), e);
        }
    }
}
