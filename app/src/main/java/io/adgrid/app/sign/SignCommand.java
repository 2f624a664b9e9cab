package io.adgrid.app.sign;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.event.EventType;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.CanonicalString;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code ./adgrid sign TYPE key=value ...}: prints a signed beacon URL, with the campaign secret
 * read from the catalog ({@code ADGRID_DB_URL}, or the PostgreSQL of a local {@code ./adgrid run}):
 * the secret {@code kid=...} names, or kid 0 (the campaign's first) without it. A retired key is refused.
 * Fills in {@code ts} (now) and {@code n} (random) for impressions and clicks, {@code order} for sales.
 */
public final class SignCommand {

    static final String USAGE = """
            usage: ./adgrid sign TYPE b=BANNER p=PUBLISHER [ts=MILLIS] [n=NONCE] [order=ID amount=DECIMAL] [kid=KEY] [--base=URL]
              TYPE   i|impression, c|click or s|sale
              kid    which of the campaign's secrets signs (it is then part of the URL); default: the first one, kid 0
              prints the signed URL; a sale URL is for POST: curl -X POST "$(./adgrid sign s b=7 p=3 amount=12.50)"
              --base defaults to $ADGRID_GATEWAY_URL or http://localhost:8080""";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789".toCharArray();

    private SignCommand() {
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || EventType.parse(args.get(0)).isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        EventType type = EventType.parse(args.get(0)).orElseThrow();
        String base = System.getenv().getOrDefault("ADGRID_GATEWAY_URL", "http://localhost:8080");
        Map<String, String> params = new TreeMap<>();
        for (String a : args.subList(1, args.size())) {
            if (a.startsWith("--base=")) {
                base = a.substring("--base=".length());
            } else if (a.indexOf('=') > 0) {
                params.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                err.println("not a key=value pair: '" + a + "'\n" + USAGE);
                return 2;
            }
        }
        if (!params.containsKey("b") || !params.containsKey("p")) {
            err.println("b= (banner) and p= (publisher) are required\n" + USAGE);
            return 2;
        }
        params.putIfAbsent("ts", Long.toString(System.currentTimeMillis()));
        if (type == EventType.SALE) {
            if (!params.containsKey("amount")) {
                err.println("a sale needs amount= (a decimal, e.g. amount=12.50)");
                return 2;
            }
            params.putIfAbsent("order", "o-" + random(12));
        } else {
            params.putIfAbsent("n", random(16));
        }
        long banner;
        try {
            banner = Long.parseLong(params.get("b"));
        } catch (NumberFormatException e) {
            err.println("b must be a banner id");
            return 2;
        }
        String kid = params.getOrDefault("kid", "0");
        Secret secret;
        try {
            secret = secretOfBanner(banner, kid);
        } catch (IllegalStateException | SQLException e) {
            err.println("cannot read the catalog: " + e.getMessage());
            return 1;
        }
        if (secret == null) {
            err.println("banner " + banner + " is not in the catalog");
            return 1;
        }
        if (secret.value() == null) {
            err.println("campaign " + secret.campaign() + " of banner " + banner + " has no key kid=" + kid);
            return 1;
        }
        if (secret.retired()) {
            err.println("key kid=" + kid + " of campaign " + secret.campaign() + " is retired: the gateway refuses beacons signed with it");
            return 1;
        }
        params.put(CanonicalString.SIGNATURE_PARAM, BeaconSigner.sign(BeaconSigner.key(secret.value()), params));
        StringBuilder url = new StringBuilder(base).append('/').append(type.code()).append('?');
        params.forEach((k, v) -> url.append(encode(k)).append('=').append(encode(v)).append('&'));
        url.setLength(url.length() - 1);
        out.println(url);
        return 0;
    }

    /** A banner's campaign and the secret of one of its keys (value null: no such kid). Never printed. */
    private record Secret(long campaign, String value, boolean retired) {
        @Override
        public String toString() {
            return "Secret[campaign=" + campaign + ", retired=" + retired + "]";
        }
    }

    private static Secret secretOfBanner(long banner, String kid) throws SQLException {
        DatabaseSettings db = catalogDatabase();
        if (db != null) {
            return query(db, banner, kid);
        }
        Path var = varDir();
        if (!Files.isDirectory(var.resolve("pgdata"))) {
            throw new IllegalStateException("no catalog yet: start './adgrid run --demo' once, or set ADGRID_DB_URL");
        }
        // No server running: start the local one just long enough to read the secret.
        try (EmbeddedDatabase embedded = EmbeddedDatabase.start(var, 0)) {
            return query(embedded.settings(), banner, kid);
        }
    }

    private static DatabaseSettings catalogDatabase() {
        String url = System.getenv("ADGRID_DB_URL");
        if (url != null && !url.isBlank()) {
            return new DatabaseSettings(url, System.getenv().getOrDefault("ADGRID_DB_USER", "postgres"),
                    System.getenv().getOrDefault("ADGRID_DB_PASSWORD", ""));
        }
        Path portFile = varDir().resolve(EmbeddedDatabase.PORT_FILE);
        try {
            return Files.exists(portFile) ? EmbeddedDatabase.running(varDir()) : null;
        } catch (java.io.IOException | NumberFormatException e) {
            return null;
        }
    }

    private static Path varDir() {
        return Path.of(System.getenv().getOrDefault("ADGRID_VAR_DIR", "./var"));
    }

    private static Secret query(DatabaseSettings db, long banner, String kid) throws SQLException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.url());
        ds.setUser(db.user());
        ds.setPassword(db.password());
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT b.campaign_id, s.secret, s.retired_at IS NOT NULL AND s.retired_at <= now()
                     FROM banner b LEFT JOIN campaign_secret s ON s.campaign_id = b.campaign_id AND s.kid = ?
                     WHERE b.id = ?""")) {
            ps.setString(1, kid);
            ps.setLong(2, banner);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Secret(rs.getLong(1), rs.getString(2), rs.getBoolean(3)) : null;
            }
        }
    }

    private static String random(int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
