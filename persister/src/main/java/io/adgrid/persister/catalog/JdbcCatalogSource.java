package io.adgrid.persister.catalog;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import io.adgrid.attribution.Attribution;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.CatalogChanges;
import io.adgrid.catalog.CatalogSource;
import io.adgrid.catalog.SenderKey;
import io.adgrid.catalog.SigningKey;

/**
 * Reads catalog changes from PostgreSQL (schema V2; a campaign's attribution, V16): rows whose {@code version} is newer than the
 * reader's, and the {@code catalog_deletion} rows as newer, then every sender key whole (V19), all in one repeatable-read transaction
 * so the result is one consistent snapshot. Version 0 is a full load. Rows are streamed (fetch size
 * 10,000), never collected, so ten million banners cost no heap here.
 */
public final class JdbcCatalogSource implements CatalogSource {

    private static final int FETCH_SIZE = 10_000;

    /** Campaigns touched since the version: their own row, or one of their secrets (changed or deleted). */
    private static final String CHANGED_CAMPAIGNS = """
            SELECT c.id, c.currency, s.kid, s.secret, s.retired_at, s.legacy, c.click_param, c.attribution_window_seconds
            FROM campaign c LEFT JOIN campaign_secret s ON s.campaign_id = c.id
            WHERE c.id IN (SELECT id FROM campaign WHERE version > ?
                           UNION SELECT campaign_id FROM campaign_secret WHERE version > ?
                           UNION SELECT id FROM catalog_deletion WHERE kind = 'campaign_secret' AND version > ?)
            ORDER BY c.id""";

    private final DataSource dataSource;

    public JdbcCatalogSource(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public long changesSince(long sinceVersion, CatalogChanges into) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            // A failure leaves the transaction open: the pool rolls it back when the connection returns.
            long since = sinceVersion;
            long latest = latestVersion(c);
            if (since > sequenceValue(c)) {
                // This database never handed out that version: it is another one (new, or restored).
                into.reset();
                since = 0;
            }
            if (since > 0) {
                deletions(c, since, into);
            }
            campaigns(c, since, into);
            banners(c, since, into);
            publishers(c, since, into);
            senderKeys(c, into);
            c.commit();
            return Math.max(since, latest);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the catalog: " + e.getMessage(), e);
        }
    }

    /** The highest version visible in this snapshot; every smaller one is visible too (see V2). */
    private static long latestVersion(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT greatest((SELECT max(version) FROM campaign), (SELECT max(version) FROM banner),
                                (SELECT max(version) FROM publisher), (SELECT max(version) FROM campaign_secret),
                                (SELECT max(version) FROM catalog_deletion), 0)""")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long sequenceValue(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM catalog_version")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void deletions(Connection c, long since, CatalogChanges into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT kind, id FROM catalog_deletion WHERE version > ? AND kind <> 'campaign_secret' ORDER BY version")) {
            ps.setFetchSize(FETCH_SIZE);
            ps.setLong(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(2);
                    switch (rs.getString(1)) {
                        case "campaign" -> into.campaignRemoved(id);
                        case "banner" -> into.bannerRemoved(id);
                        case "publisher" -> into.publisherRemoved(id);
                        default -> throw new IllegalStateException("unknown catalog_deletion kind");
                    }
                }
            }
        }
    }

    private static void campaigns(Connection c, long since, CatalogChanges into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CHANGED_CAMPAIGNS)) {
            ps.setFetchSize(FETCH_SIZE);
            ps.setLong(1, since);
            ps.setLong(2, since);
            ps.setLong(3, since);
            try (ResultSet rs = ps.executeQuery()) {
                long current = -1;
                String currency = null;
                Attribution attribution = null;
                Map<String, SigningKey> keys = new HashMap<>();
                while (rs.next()) {
                    long id = rs.getLong(1);
                    if (id != current) {
                        if (current > 0) {
                            into.campaign(new Campaign(current, currency, keys, attribution));
                        }
                        current = id;
                        currency = rs.getString(2).trim();
                        attribution = attribution(rs, 7);
                        keys = new HashMap<>();
                    }
                    String kid = rs.getString(3);
                    if (kid != null) {
                        Timestamp retired = rs.getTimestamp(5);
                        keys.put(kid, SigningKey.of(kid, rs.getString(4).getBytes(StandardCharsets.UTF_8),
                                retired == null ? SigningKey.NEVER : retired.getTime(), rs.getBoolean(6)));
                    }
                }
                if (current > 0) {
                    into.campaign(new Campaign(current, currency, keys, attribution));
                }
            }
        }
    }

    /** A campaign's own click parameter and window (V16) from two columns starting at {@code column}; NULLs are the deployment's. */
    static Attribution attribution(ResultSet rs, int column) throws SQLException {
        String clickParam = rs.getString(column);
        long seconds = rs.getLong(column + 1);
        Duration window = rs.wasNull() ? null : Duration.ofSeconds(seconds);
        return clickParam == null && window == null ? Attribution.DEFAULTS : new Attribution(clickParam, window);
    }

    private static void banners(Connection c, long since, CatalogChanges into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, campaign_id, landing_url FROM banner WHERE version > ?")) {
            ps.setFetchSize(FETCH_SIZE);
            ps.setLong(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    into.banner(rs.getLong(1), rs.getLong(2), rs.getString(3));
                }
            }
        }
    }

    /** Every sender key with its campaigns (V19), whole on every call: they are few, and carry no version. */
    private static void senderKeys(Connection c, CatalogChanges into) throws SQLException {
        List<SenderKey> keys = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT k.kid, k.secret, k.previous_secret, k.previous_until, k.disabled_at IS NOT NULL,
                       coalesce(array_agg(kc.campaign_id) FILTER (WHERE kc.campaign_id IS NOT NULL), '{}')
                FROM sender_key k LEFT JOIN sender_key_campaign kc ON kc.kid = k.kid
                GROUP BY k.kid ORDER BY k.kid""")) {
            while (rs.next()) {
                String previous = rs.getString(3);
                Timestamp until = rs.getTimestamp(4);
                Long[] campaigns = (Long[]) rs.getArray(6).getArray();
                keys.add(new SenderKey(rs.getString(1), rs.getString(2).getBytes(StandardCharsets.UTF_8),
                        previous == null ? null : previous.getBytes(StandardCharsets.UTF_8), until == null ? 0 : until.getTime(),
                        rs.getBoolean(5), Arrays.asList(campaigns)));
            }
        }
        into.senderKeys(keys);
    }

    private static void publishers(Connection c, long since, CatalogChanges into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM publisher WHERE version > ?")) {
            ps.setFetchSize(FETCH_SIZE);
            ps.setLong(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    into.publisher(rs.getLong(1));
                }
            }
        }
    }
}
