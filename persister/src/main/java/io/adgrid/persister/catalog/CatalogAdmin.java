package io.adgrid.persister.catalog;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import io.adgrid.attribution.Attribution;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the catalog for the admin API: campaigns (with their click attribution, V16), banners,
 * publishers and the campaigns' signing keys (schema V2). Every write is one transaction that first takes the advisory lock the version
 * triggers take ({@code adgrid.catalog_version}), so admin writes are serialised with each other and
 * with every other catalog writer: a check ("does it exist?", "is another key left?") and the write
 * that depends on it see the same catalog. The triggers stamp each changed row with a new version,
 * so gateways pick it up at their next incremental refresh.
 *
 * <p>Secrets are written and never read back: no method returns one, and no message (exception or
 * log) names one. SQL errors are reported by SQLState only, since PostgreSQL's detail can quote a
 * failing row.
 */
public final class CatalogAdmin {

    private static final Logger log = LoggerFactory.getLogger(CatalogAdmin.class);

    /** The key id a campaign is created with (beacons without {@code kid} use it). */
    public static final String FIRST_KID = "0";
    /** Key ids the gateway accepts (and the V2 check constraint). */
    public static final Pattern KID = Pattern.compile("[A-Za-z0-9._:-]{1,32}");
    public static final int MIN_SECRET_BYTES = 16;
    public static final int MAX_SECRET_BYTES = 1024;
    public static final int MAX_NAME_LENGTH = 200;
    public static final int MAX_URL_LENGTH = 2048;
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final Pattern URL_CHARS = Pattern.compile("[\\x21-\\x7E]+");
    private static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('adgrid.catalog_version'))";

    /** A signing secret: carried, never printed. */
    public record Secret(String value) {
        public Secret {
            if (value == null) {
                throw new IllegalArgumentException("no secret");
            }
        }

        @Override
        public String toString() {
            return "Secret[redacted]";
        }
    }

    /**
     * A key of a campaign, without its secret. Active while {@code retiredAt} is null or in the future.
     * A legacy key also accepts v1 signatures (CONTRACT section 4).
     */
    public record Key(String kid, Instant createdAt, Instant retiredAt, boolean legacy) {
        public boolean activeAt(Instant now) {
            return retiredAt == null || retiredAt.isAfter(now);
        }
    }

    /** @param attribution its own click parameter and window (V16); null fields are the deployment's */
    public record CampaignView(long id, String name, String currency, Instant createdAt, Instant updatedAt, List<Key> keys,
                               Attribution attribution) {
    }

    public record BannerView(long id, long campaignId, String landingUrl, Instant createdAt, Instant updatedAt) {
    }

    public record PublisherView(long id, String name, Instant createdAt) {
    }

    /** What a put did: the row as it now is, and whether it was created (else updated). */
    public record Saved<T>(T value, boolean created) {
    }

    /** Why a request was refused; the message is safe to show (never a secret). */
    public enum Problem {
        /** No such campaign, banner, publisher or key. */
        NOT_FOUND,
        /** The catalog's state forbids it (duplicate kid, last active key, key already retired). */
        CONFLICT,
        /** A value breaks a rule (format, length, reference to a missing campaign, banner moving campaign). */
        INVALID,
        /** The request asks for something this operation never does (a secret on a campaign update). */
        NOT_ALLOWED
    }

    public static final class RefusedException extends RuntimeException {
        private final Problem problem;

        public RefusedException(Problem problem, String message) {
            super(message, null, false, false);
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    /** PostgreSQL could not be read or written; the message names the SQLState only. */
    public static final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) {
            super(message, null, false, false);
        }
    }

    private final DataSource dataSource;

    public CatalogAdmin(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    // ---- campaigns ------------------------------------------------------------------------------

    /**
     * Creates the campaign with {@code secret} as key {@link #FIRST_KID}, or updates its name and (when
     * given) currency. A secret on an update is refused: keys change by {@link #addKey}/{@link #retireKey}.
     *
     * @param currency ISO-4217 code, or null: USD for a new campaign, unchanged for an existing one
     * @param secret   required to create, refused to update
     */
    public Saved<CampaignView> putCampaign(long id, String name, String currency, Secret secret) {
        checkId(id, "campaign");
        checkName(name);
        if (currency != null && !CURRENCY.matcher(currency).matches()) {
            throw invalid("currency must be three capital letters (ISO 4217), e.g. EUR");
        }
        return inTransaction("write campaign " + id, true, c -> {
            boolean exists = exists(c, "SELECT 1 FROM campaign WHERE id = ?", id);
            if (exists) {
                if (secret != null) {
                    throw new RefusedException(Problem.NOT_ALLOWED,
                            "campaign " + id + " exists: its secret is not changed here, add a key (POST .../keys) and retire the old one");
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE campaign SET name = ?, currency = coalesce(?, currency), updated_at = now() WHERE id = ?")) {
                    ps.setString(1, name);
                    ps.setString(2, currency);
                    ps.setLong(3, id);
                    ps.executeUpdate();
                }
                log.info("catalog: campaign {} updated", id);
                return new Saved<>(campaign(c, id).orElseThrow(), false);
            }
            if (secret == null) {
                throw invalid("a new campaign needs a secret (at least " + MIN_SECRET_BYTES + " bytes)");
            }
            checkSecret(secret);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO campaign (id, name, currency) VALUES (?, ?, ?)")) {
                ps.setLong(1, id);
                ps.setString(2, name);
                ps.setString(3, currency == null ? "USD" : currency);
                ps.executeUpdate();
            }
            insertKey(c, id, FIRST_KID, secret);
            log.info("catalog: campaign {} created with key {}", id, FIRST_KID);
            return new Saved<>(campaign(c, id).orElseThrow(), true);
        });
    }

    public Optional<CampaignView> campaign(long id) {
        return inTransaction("read campaign " + id, false, c -> campaign(c, id));
    }

    /**
     * Sets the campaign's own click parameter and attribution window (issue 21), replaced whole: a null
     * field gives it the deployment's setting back. Like a key, the change reaches the gateways at their
     * next refresh (the campaign row's version); a postback meets the window in force when it arrives.
     */
    public CampaignView setAttribution(long campaignId, Attribution attribution) {
        checkId(campaignId, "campaign");
        return inTransaction("set the attribution of campaign " + campaignId, true, c -> {
            requireCampaign(c, campaignId);
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE campaign SET click_param = ?, attribution_window_seconds = ?, updated_at = now() WHERE id = ?")) {
                ps.setString(1, attribution.clickParam());
                ps.setObject(2, attribution.window() == null ? null : attribution.window().getSeconds(), java.sql.Types.BIGINT);
                ps.setLong(3, campaignId);
                ps.executeUpdate();
            }
            log.info("catalog: campaign {} attribution {}", campaignId, attribution.isDefault() ? "the deployment's" : attribution);
            return campaign(c, campaignId).orElseThrow();
        });
    }

    // ---- keys -----------------------------------------------------------------------------------

    /** Adds a signing key to a campaign (the start of a rotation's overlap). */
    public Key addKey(long campaignId, String kid, Secret secret) {
        checkId(campaignId, "campaign");
        checkKid(kid);
        if (secret == null) {
            throw invalid("a key needs a secret (at least " + MIN_SECRET_BYTES + " bytes)");
        }
        checkSecret(secret);
        return inTransaction("add a key to campaign " + campaignId, true, c -> {
            requireCampaign(c, campaignId);
            if (exists(c, "SELECT 1 FROM campaign_secret WHERE campaign_id = ? AND kid = ?", campaignId, kid)) {
                throw new RefusedException(Problem.CONFLICT, "campaign " + campaignId + " already has key " + kid);
            }
            insertKey(c, campaignId, kid, secret);
            log.info("catalog: key {} added to campaign {}", kid, campaignId);
            return key(c, campaignId, kid).orElseThrow();
        });
    }

    /**
     * Retires a key at {@code at} (null: now; a future time schedules the end of the overlap). Refused
     * for a key already retired, and for the campaign's last key without a retirement, so a campaign
     * always keeps a key its beacons can be signed with.
     */
    public Key retireKey(long campaignId, String kid, Instant at) {
        checkId(campaignId, "campaign");
        if (at != null && (at.isBefore(EARLIEST) || at.isAfter(LATEST))) {
            throw invalid("at must be between " + EARLIEST + " and " + LATEST);
        }
        return inTransaction("retire key of campaign " + campaignId, true, c -> {
            requireCampaign(c, campaignId);
            Key key = key(c, campaignId, kid).orElseThrow(() ->
                    new RefusedException(Problem.NOT_FOUND, "campaign " + campaignId + " has no key " + kid));
            if (key.retiredAt() != null && !key.retiredAt().isAfter(dbNow(c))) {
                throw new RefusedException(Problem.CONFLICT, "key " + kid + " of campaign " + campaignId + " is already retired");
            }
            if (!exists(c, "SELECT 1 FROM campaign_secret WHERE campaign_id = ? AND kid <> ? AND retired_at IS NULL", campaignId, kid)) {
                throw new RefusedException(Problem.CONFLICT, "key " + kid + " is the last key of campaign " + campaignId
                        + " without a retirement: add a new key first, so its beacons can still be signed");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE campaign_secret SET retired_at = coalesce(?, now()) WHERE campaign_id = ? AND kid = ?")) {
                ps.setTimestamp(1, at == null ? null : Timestamp.from(at));
                ps.setLong(2, campaignId);
                ps.setString(3, kid);
                ps.executeUpdate();
            }
            Key retired = key(c, campaignId, kid).orElseThrow();
            log.info("catalog: key {} of campaign {} retired at {}", kid, campaignId, retired.retiredAt());
            return retired;
        });
    }

    /**
     * Marks a key legacy (it also accepts v1 signatures, whose clicks count only as suspect) or
     * unmarks it (v2 only), from the gateways' next catalog refresh. Idempotent.
     */
    public Key setLegacy(long campaignId, String kid, boolean legacy) {
        checkId(campaignId, "campaign");
        return inTransaction((legacy ? "mark" : "unmark") + " a legacy key of campaign " + campaignId, true, c -> {
            requireCampaign(c, campaignId);
            Key key = key(c, campaignId, kid).orElseThrow(() ->
                    new RefusedException(Problem.NOT_FOUND, "campaign " + campaignId + " has no key " + kid));
            if (key.legacy() == legacy) {
                return key;
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE campaign_secret SET legacy = ? WHERE campaign_id = ? AND kid = ?")) {
                ps.setBoolean(1, legacy);
                ps.setLong(2, campaignId);
                ps.setString(3, kid);
                ps.executeUpdate();
            }
            log.info("catalog: key {} of campaign {} {}", kid, campaignId, legacy ? "marked legacy (accepts v1 signatures)" : "is v2 only");
            return key(c, campaignId, kid).orElseThrow();
        });
    }

    // ---- banners --------------------------------------------------------------------------------

    /**
     * Creates a banner of campaign {@code campaignId}, or updates its landing URL. A banner belongs to
     * one campaign for life (its counts are booked to it), so naming another campaign is refused.
     */
    public Saved<BannerView> putBanner(long id, long campaignId, String landingUrl) {
        checkId(id, "banner");
        checkId(campaignId, "campaign");
        checkLandingUrl(landingUrl);
        return inTransaction("write banner " + id, true, c -> {
            if (!exists(c, "SELECT 1 FROM campaign WHERE id = ?", campaignId)) {
                throw invalid("campaign " + campaignId + " does not exist");
            }
            Optional<BannerView> before = banner(c, id);
            if (before.isPresent()) {
                if (before.get().campaignId() != campaignId) {
                    throw invalid("banner " + id + " belongs to campaign " + before.get().campaignId()
                            + " for life (its counts are booked there): create a new banner instead");
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE banner SET landing_url = ?, updated_at = now() WHERE id = ?")) {
                    ps.setString(1, landingUrl);
                    ps.setLong(2, id);
                    ps.executeUpdate();
                }
                log.info("catalog: banner {} updated", id);
                return new Saved<>(banner(c, id).orElseThrow(), false);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO banner (id, campaign_id, landing_url) VALUES (?, ?, ?)")) {
                ps.setLong(1, id);
                ps.setLong(2, campaignId);
                ps.setString(3, landingUrl);
                ps.executeUpdate();
            }
            log.info("catalog: banner {} created in campaign {}", id, campaignId);
            return new Saved<>(banner(c, id).orElseThrow(), true);
        });
    }

    public Optional<BannerView> banner(long id) {
        return inTransaction("read banner " + id, false, c -> banner(c, id));
    }

    // ---- publishers -----------------------------------------------------------------------------

    public Saved<PublisherView> putPublisher(long id, String name) {
        checkId(id, "publisher");
        checkName(name);
        return inTransaction("write publisher " + id, true, c -> {
            boolean exists = exists(c, "SELECT 1 FROM publisher WHERE id = ?", id);
            String sql = exists ? "UPDATE publisher SET name = ? WHERE id = ?" : "INSERT INTO publisher (name, id) VALUES (?, ?)";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, name);
                ps.setLong(2, id);
                ps.executeUpdate();
            }
            log.info("catalog: publisher {} {}", id, exists ? "updated" : "created");
            return new Saved<>(publisher(c, id).orElseThrow(), !exists);
        });
    }

    public Optional<PublisherView> publisher(long id) {
        return inTransaction("read publisher " + id, false, c -> publisher(c, id));
    }

    // ---- validation -----------------------------------------------------------------------------

    /** Null when the URL is acceptable as a banner's landing page, else why not. */
    public static String landingUrlProblem(String url) {
        if (url == null || url.isEmpty()) {
            return "landingUrl is required";
        }
        if (url.length() > MAX_URL_LENGTH) {
            return "landingUrl is longer than " + MAX_URL_LENGTH + " characters";
        }
        if (!URL_CHARS.matcher(url).matches()) {
            return "landingUrl must be printable ASCII without spaces or line breaks (percent-encode the rest)";
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            return "landingUrl must be an absolute http:// or https:// URL";
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            return "landingUrl is not a valid URL";
        }
        if (uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()) {
            return "landingUrl has no host";
        }
        if (uri.getRawUserInfo() != null || uri.getRawAuthority().contains("@")) {
            return "landingUrl must not carry user information (user:password@)";
        }
        if (uri.getHost() == null) {
            return "landingUrl has no valid host";
        }
        return null;
    }

    private static void checkLandingUrl(String url) {
        String problem = landingUrlProblem(url);
        if (problem != null) {
            throw invalid(problem);
        }
    }

    private static void checkId(long id, String what) {
        if (id <= 0) {
            throw invalid(what + " id must be a positive integer");
        }
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw invalid("name is required");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw invalid("name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (name.chars().anyMatch(Character::isISOControl)) {
            throw invalid("name must not contain control characters");
        }
    }

    private static void checkKid(String kid) {
        if (kid == null || !KID.matcher(kid).matches()) {
            throw invalid("kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
        }
    }

    private static void checkSecret(Secret secret) {
        int bytes = secret.value().getBytes(StandardCharsets.UTF_8).length;
        if (bytes < MIN_SECRET_BYTES) {
            throw invalid("secret must be at least " + MIN_SECRET_BYTES + " bytes");
        }
        if (bytes > MAX_SECRET_BYTES) {
            throw invalid("secret must be at most " + MAX_SECRET_BYTES + " bytes");
        }
    }

    private static RefusedException invalid(String message) {
        return new RefusedException(Problem.INVALID, message);
    }

    // ---- SQL ------------------------------------------------------------------------------------

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs work in one transaction; a write first takes the catalog writers' lock (see the class comment). */
    private <T> T inTransaction(String what, boolean write, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (write) {
                    try (PreparedStatement ps = c.prepareStatement(LOCK)) {
                        ps.execute();
                    }
                } else {
                    // A campaign and its keys are two queries: one snapshot for both.
                    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                }
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException e) {
            // Never the message: PostgreSQL's detail may quote the failing row, secret included.
            throw new UnavailableException("cannot " + what + " (SQLState " + e.getSQLState() + ")");
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; closing it discards the transaction
        }
    }

    private static void insertKey(Connection c, long campaignId, String kid, Secret secret) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (?, ?, ?)")) {
            ps.setLong(1, campaignId);
            ps.setString(2, kid);
            ps.setString(3, secret.value());
            ps.executeUpdate();
        }
    }

    private static void requireCampaign(Connection c, long id) throws SQLException {
        if (!exists(c, "SELECT 1 FROM campaign WHERE id = ?", id)) {
            throw new RefusedException(Problem.NOT_FOUND, "no campaign " + id);
        }
    }

    private static boolean exists(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static Instant dbNow(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT now()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    private static Optional<CampaignView> campaign(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT name, currency, created_at, updated_at, click_param, attribution_window_seconds FROM campaign WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new CampaignView(id, rs.getString(1), rs.getString(2).trim(), instant(rs, 3), instant(rs, 4), keys(c, id),
                        JdbcCatalogSource.attribution(rs, 5)));
            }
        }
    }

    /** The campaign's keys, oldest first; the secret column is never selected. */
    private static List<Key> keys(Connection c, long campaignId) throws SQLException {
        List<Key> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT kid, created_at, retired_at, legacy FROM campaign_secret WHERE campaign_id = ? ORDER BY created_at, kid")) {
            ps.setLong(1, campaignId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(new Key(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getBoolean(4)));
                }
            }
        }
        return keys;
    }

    private static Optional<Key> key(Connection c, long campaignId, String kid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT created_at, retired_at, legacy FROM campaign_secret WHERE campaign_id = ? AND kid = ?")) {
            ps.setLong(1, campaignId);
            ps.setString(2, kid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Key(kid, instant(rs, 1), instant(rs, 2), rs.getBoolean(3))) : Optional.empty();
            }
        }
    }

    private static Optional<BannerView> banner(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT campaign_id, landing_url, created_at, updated_at FROM banner WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new BannerView(id, rs.getLong(1), rs.getString(2), instant(rs, 3), instant(rs, 4)))
                        : Optional.empty();
            }
        }
    }

    private static Optional<PublisherView> publisher(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT name, created_at FROM publisher WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new PublisherView(id, rs.getString(1), instant(rs, 2))) : Optional.empty();
            }
        }
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
