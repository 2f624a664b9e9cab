package io.adgrid.persister.catalog;

import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import io.adgrid.persister.catalog.CatalogAdmin.Problem;
import io.adgrid.persister.catalog.CatalogAdmin.RefusedException;
import io.adgrid.persister.catalog.CatalogAdmin.Secret;
import io.adgrid.persister.catalog.CatalogAdmin.UnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sender keys for the admin API (issue 23, schema V19): created, listed, their campaign lists replaced,
 * rotated and disabled. A key's secret is generated here (32 random bytes, base64url: 43 characters)
 * unless the caller supplies one, and is returned once, by the create or rotate that made it; nothing
 * else returns or logs it. The HMAC key is the secret's UTF-8 bytes, as for a campaign's secret.
 * Gateways read the table whole at their next catalog refresh. Refusals are {@link CatalogAdmin}'s.
 */
public final class SenderKeys {

    private static final Logger log = LoggerFactory.getLogger(SenderKeys.class);
    public static final int MAX_CAMPAIGNS = 10_000;
    public static final Duration DEFAULT_OVERLAP = Duration.ofHours(1);
    public static final Duration MAX_OVERLAP = Duration.ofDays(7);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A sender key without its secret. {@code previousUntil}: until when the secret before the last rotation still signs. */
    public record View(String kid, List<Long> campaigns, Instant createdAt, Instant rotatedAt, Instant previousUntil, Instant disabledAt) {
    }

    /** A key as a create or rotate left it, with the secret that now signs (shown once). */
    public record WithSecret(View key, Secret secret) {
    }

    private final DataSource dataSource;

    public SenderKeys(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** @param secret the caller's secret, or null for a generated one */
    public WithSecret create(String kid, Secret secret, List<Long> campaigns) {
        checkKid(kid);
        Secret s = secretOrNew(secret);
        List<Long> list = checkCampaigns(campaigns);
        return inTransaction("create sender key", c -> {
            if (view(c, kid).isPresent()) {
                throw new RefusedException(Problem.CONFLICT, "sender key " + kid + " exists");
            }
            requireCampaigns(c, list);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sender_key (kid, secret) VALUES (?, ?)")) {
                ps.setString(1, kid);
                ps.setString(2, s.value());
                ps.executeUpdate();
            }
            insertCampaigns(c, kid, list);
            log.info("catalog: sender key {} created for campaigns {}", kid, list);
            return new WithSecret(view(c, kid).orElseThrow(), s);
        });
    }

    public List<View> list() {
        return inTransaction("list sender keys", c -> {
            List<View> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(SELECT + " GROUP BY k.kid ORDER BY k.kid"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(view(rs));
                }
            }
            return out;
        });
    }

    public Optional<View> get(String kid) {
        checkKid(kid);
        return inTransaction("read sender key", c -> view(c, kid));
    }

    /** Replaces the key's campaign list; its requests' lines of other campaigns are refused from the gateways' next refresh. */
    public View setCampaigns(String kid, List<Long> campaigns) {
        checkKid(kid);
        List<Long> list = checkCampaigns(campaigns);
        return inTransaction("set the campaigns of a sender key", c -> {
            require(c, kid);
            requireCampaigns(c, list);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM sender_key_campaign WHERE kid = ?")) {
                ps.setString(1, kid);
                ps.executeUpdate();
            }
            insertCampaigns(c, kid, list);
            log.info("catalog: sender key {} campaigns {}", kid, list);
            return view(c, kid).orElseThrow();
        });
    }

    /**
     * A new secret for the key; the one it replaces still signs for {@code overlap} (null: {@link #DEFAULT_OVERLAP};
     * zero: not at all), and the one before that no longer does. A disabled key is not rotated.
     */
    public WithSecret rotate(String kid, Secret secret, Duration overlap) {
        checkKid(kid);
        Secret s = secretOrNew(secret);
        Duration o = overlap == null ? DEFAULT_OVERLAP : overlap;
        if (o.isNegative() || o.compareTo(MAX_OVERLAP) > 0) {
            throw invalid("overlap_seconds must be from 0 to " + MAX_OVERLAP.toSeconds());
        }
        return inTransaction("rotate a sender key", c -> {
            View v = require(c, kid);
            if (v.disabledAt() != null) {
                throw new RefusedException(Problem.CONFLICT, "sender key " + kid + " is disabled");
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE sender_key SET previous_secret = CASE WHEN ? > 0 THEN secret END,
                                          previous_until = CASE WHEN ? > 0 THEN now() + make_interval(secs => ?) END,
                                          secret = ?, rotated_at = now()
                    WHERE kid = ?""")) {
                ps.setLong(1, o.toSeconds());
                ps.setLong(2, o.toSeconds());
                ps.setLong(3, o.toSeconds());
                ps.setString(4, s.value());
                ps.setString(5, kid);
                ps.executeUpdate();
            }
            log.info("catalog: sender key {} rotated, the previous secret signs for {} s more", kid, o.toSeconds());
            return new WithSecret(view(c, kid).orElseThrow(), s);
        });
    }

    /** Disables the key for good: from the gateways' next refresh its requests are refused (403). */
    public View disable(String kid) {
        checkKid(kid);
        return inTransaction("disable a sender key", c -> {
            View v = require(c, kid);
            if (v.disabledAt() != null) {
                throw new RefusedException(Problem.CONFLICT, "sender key " + kid + " is already disabled");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE sender_key SET disabled_at = now(), previous_secret = NULL, previous_until = NULL WHERE kid = ?")) {
                ps.setString(1, kid);
                ps.executeUpdate();
            }
            log.info("catalog: sender key {} disabled", kid);
            return view(c, kid).orElseThrow();
        });
    }

    // ---- rules ----------------------------------------------------------------------------------

    private static void checkKid(String kid) {
        if (kid == null || !CatalogAdmin.KID.matcher(kid).matches()) {
            throw invalid("kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
        }
    }

    private static Secret secretOrNew(Secret secret) {
        if (secret == null) {
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            return new Secret(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }
        int bytes = secret.value().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes < CatalogAdmin.MIN_SECRET_BYTES || bytes > CatalogAdmin.MAX_SECRET_BYTES) {
            throw invalid("secret must be " + CatalogAdmin.MIN_SECRET_BYTES + " to " + CatalogAdmin.MAX_SECRET_BYTES + " bytes");
        }
        return secret;
    }

    private static List<Long> checkCampaigns(List<Long> campaigns) {
        if (campaigns == null || campaigns.isEmpty()) {
            throw invalid("campaigns must list at least one campaign id");
        }
        if (campaigns.size() > MAX_CAMPAIGNS) {
            throw invalid("campaigns must list at most " + MAX_CAMPAIGNS + " campaign ids");
        }
        Set<Long> seen = new HashSet<>();
        for (Long id : campaigns) {
            if (id == null || id <= 0) {
                throw invalid("campaigns must be positive campaign ids");
            }
            if (!seen.add(id)) {
                throw invalid("campaigns names campaign " + id + " twice");
            }
        }
        return campaigns.stream().sorted().toList();
    }

    private static RefusedException invalid(String message) {
        return new RefusedException(Problem.INVALID, message);
    }

    // ---- SQL ------------------------------------------------------------------------------------

    private static final String SELECT = """
            SELECT k.kid, coalesce(array_agg(kc.campaign_id ORDER BY kc.campaign_id) FILTER (WHERE kc.campaign_id IS NOT NULL), '{}'),
                   k.created_at, k.rotated_at, k.previous_until, k.disabled_at
            FROM sender_key k LEFT JOIN sender_key_campaign kc ON kc.kid = k.kid""";

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(String what, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is broken; closing it discards the transaction
                }
                throw e;
            }
        } catch (SQLException e) {
            // Never the message: PostgreSQL's detail may quote the failing row, secret included.
            throw new UnavailableException("cannot " + what + " (SQLState " + e.getSQLState() + ")");
        }
    }

    private static View require(Connection c, String kid) throws SQLException {
        return view(c, kid).orElseThrow(() -> new RefusedException(Problem.NOT_FOUND, "no sender key " + kid));
    }

    /** Locks the campaigns read (FOR KEY SHARE) so none is deleted before the list referring to it commits. */
    private static void requireCampaigns(Connection c, List<Long> campaigns) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM campaign WHERE id = ANY (?) FOR KEY SHARE")) {
            ps.setArray(1, c.createArrayOf("bigint", campaigns.toArray()));
            Set<Long> found = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getLong(1));
                }
            }
            for (Long id : campaigns) {
                if (!found.contains(id)) {
                    throw invalid("no campaign " + id);
                }
            }
        }
    }

    private static void insertCampaigns(Connection c, String kid, List<Long> campaigns) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO sender_key_campaign (kid, campaign_id) SELECT ?, unnest(?::bigint[])")) {
            ps.setString(1, kid);
            ps.setArray(2, c.createArrayOf("bigint", campaigns.toArray()));
            ps.executeUpdate();
        }
    }

    private static Optional<View> view(Connection c, String kid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE k.kid = ? GROUP BY k.kid")) {
            ps.setString(1, kid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(view(rs)) : Optional.empty();
            }
        }
    }

    private static View view(ResultSet rs) throws SQLException {
        Array a = rs.getArray(2);
        List<Long> campaigns = List.of((Long[]) a.getArray());
        return new View(rs.getString(1), campaigns, instant(rs, 3), instant(rs, 4), instant(rs, 5), instant(rs, 6));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
