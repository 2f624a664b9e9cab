package io.adgrid.app.sign;

import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import io.adgrid.attribution.ClickId;
import io.adgrid.catalog.Campaign;
import io.adgrid.event.EventType;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.CanonicalString;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code ./adgrid sign TYPE key=value ...}: prints a signed (contract v2) beacon URL, and nothing
 * else, on stdout. The campaign's secret is read from the catalog: {@code ADGRID_DB_URL} (or
 * {@code --adgrid.db.url}) when set, else the PostgreSQL of a local {@code ./adgrid run} under
 * {@code ./var}; with neither it refuses rather than guess. Without {@code kid} it signs with the
 * campaign's newest active key. {@code c --of URL} prints the click of an impression URL's rendering
 * (same b, p, ts, n and key), the click the grid counts as clean once that impression was counted.
 */
public final class SignCommand {

    static final String USAGE = """
            usage: ./adgrid sign TYPE b=BANNER p=PUBLISHER [ts=MILLIS] [n=NONCE] [order=ID amount=DECIMAL] [kid=KEY] [--gateway URL]
                   ./adgrid sign c --of "IMPRESSION_URL" [--gateway URL]
                   ./adgrid sign s click=CLICK_ID amount=DECIMAL [order=ID] [ts=MILLIS] [kid=KEY]   (an advertiser's sale by click id)
                   ./adgrid sign events --kid SENDER_KEY [--ts MILLIS] FILE|-   (the X-AdGrid-Signature header of a POST /events body)
              TYPE     i|impression, c|click or s|sale
              kid      which of the campaign's keys signs (it is then part of the URL); default: its newest active key
              --of     the click of that impression's rendering (its b, p, ts, n and key): a clean click once the impression is counted
              --gateway  the printed host: default $ADGRID_GATEWAY_URL, else http://localhost:$ADGRID_GATEWAY_PORT (8080)
              the catalog is read from $ADGRID_DB_URL (with ADGRID_DB_USER, ADGRID_DB_PASSWORD), else from the local ./var database;
              --adgrid.db.url=..., --adgrid.gateway.port=... and --adgrid.var-dir=... are settings too, never signed
              prints only the signed URL; a sale URL is for POST: curl -X POST "$(./adgrid sign s b=7 p=3 amount=12.50)\"""";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789".toCharArray();
    /** Parameters an impression URL brings to its click; its sig is the impression's own. */
    private static final Set<String> RENDERING = Set.of("b", "p", "ts", "n", "kid");

    private SignCommand() {
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, System.getenv(), out, err);
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (!args.isEmpty() && args.get(0).equals("events")) {
            return SignEventsCommand.run(args.subList(1, args.size()), env, out, err);
        }
        if (args.isEmpty() || EventType.parse(args.get(0)).isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        EventType type = EventType.parse(args.get(0)).orElseThrow();
        Map<String, String> settings = new HashMap<>();
        Map<String, String> params = new TreeMap<>();
        String gateway = null;
        String of = null;
        List<String> rest = args.subList(1, args.size());
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals("--gateway") || a.equals("--of")) {
                if (i + 1 == rest.size()) {
                    err.println(a + " needs a value\n" + USAGE);
                    return 2;
                }
                if (a.equals("--gateway")) {
                    gateway = rest.get(++i);
                } else {
                    of = rest.get(++i);
                }
            } else if (a.startsWith("--gateway=") || a.startsWith("--base=")) {
                gateway = a.substring(a.indexOf('=') + 1);
            } else if (a.startsWith("--of=")) {
                of = a.substring("--of=".length());
            } else if (a.startsWith("--adgrid.") && a.indexOf('=') > 0) {
                settings.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("-")) {
                err.println("unknown option '" + a + "'\n" + USAGE);
                return 2;
            } else if (a.indexOf('=') > 0) {
                params.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                err.println("not a key=value pair: '" + a + "'\n" + USAGE);
                return 2;
            }
        }
        for (String s : settings.keySet()) {
            if (!Set.of("adgrid.db.url", "adgrid.db.user", "adgrid.db.password", "adgrid.gateway.port", "adgrid.var-dir").contains(s)) {
                err.println("sign: the setting --" + s + " does not apply to sign; ignored (it is not signed)");
            }
        }
        if (of != null) {
            if (type != EventType.CLICK) {
                err.println("--of gives the click of an impression: use ./adgrid sign c --of \"IMPRESSION_URL\"");
                return 2;
            }
            if (!params.isEmpty()) {
                err.println("--of takes the rendering from the impression URL: give no key=value pairs with it");
                return 2;
            }
            try {
                URI impression = new URI(of);
                if (impression.getPath() == null || !impression.getPath().endsWith("/i") || impression.getRawQuery() == null) {
                    err.println("--of needs an impression URL (…/i?b=…&p=…&ts=…&n=…&sig=…), got '" + of + "'");
                    return 2;
                }
                new QueryStringDecoder(impression.getRawQuery(), false).parameters().forEach((k, v) -> {
                    if (RENDERING.contains(k) && !v.isEmpty()) {
                        params.put(k, v.get(0));
                    }
                });
                if (gateway == null && impression.getScheme() != null && impression.getRawAuthority() != null) {
                    gateway = impression.getScheme() + "://" + impression.getRawAuthority();
                }
            } catch (URISyntaxException e) {
                err.println("--of needs an impression URL: " + e.getMessage());
                return 2;
            }
            for (String required : List.of("b", "p", "ts", "n")) {
                if (!params.containsKey(required)) {
                    err.println("the impression URL has no " + required + "=");
                    return 2;
                }
            }
        }
        if (gateway == null) {
            gateway = gatewayUrl(env, settings);
        }
        // A sale by click id (issue 21) names no banner: the campaign whose key signs is in the id.
        Long clickCampaign = null;
        if (type == EventType.SALE && params.containsKey("click")) {
            ClickId.Header header = ClickId.header(params.get("click"));
            if (header == null) {
                err.println("click= is not a click id (the agclid=…, or the campaign's own parameter, a click's landing URL got)");
                return 2;
            }
            if (params.containsKey("b") || params.containsKey("p")) {
                err.println("a sale by click id gives no b= or p=: its click says them");
                return 2;
            }
            clickCampaign = header.campaign();
        } else if (!params.containsKey("b") || !params.containsKey("p")) {
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
        long banner = 0;
        if (clickCampaign == null) {
            try {
                banner = Long.parseLong(params.get("b"));
            } catch (NumberFormatException e) {
                err.println("b must be a banner id");
                return 2;
            }
        }
        // The key is part of the rendering: an impression without kid was signed with kid 0, and so is its click.
        String kid = params.getOrDefault("kid", of != null ? "0" : null);
        Secret secret;
        try {
            secret = secretOf(clickCampaign == null ? Selector.banner(banner) : Selector.campaign(clickCampaign), kid, env, settings, err);
        } catch (IllegalStateException | SQLException e) {
            err.println("cannot read the catalog: " + e.getMessage());
            return 1;
        }
        if (secret == null) {
            err.println(clickCampaign == null ? "banner " + banner + " is not in the catalog" : "campaign " + clickCampaign + " is not in the catalog");
            return 1;
        }
        String whose = "campaign " + secret.campaign() + (clickCampaign == null ? " of banner " + banner : "");
        if (secret.value() == null) {
            err.println(kid == null ? whose + " has no active key" : whose + " has no key kid=" + kid);
            return 1;
        }
        if (secret.retired()) {
            err.println("key kid=" + secret.kid() + " of campaign " + secret.campaign() + " is retired: the gateway refuses beacons signed with it");
            return 1;
        }
        if (of != null) {
            String sig = new QueryStringDecoder(of).parameters().getOrDefault(CanonicalString.SIGNATURE_PARAM, List.of("")).get(0);
            if (!BeaconSigner.sign(BeaconSigner.key(secret.value()), EventType.IMPRESSION, params).equals(sig)) {
                err.println("sign: note: that URL's sig is not this key's v2 impression signature of its parameters; the click is signed anyway");
            }
        } else if (!params.containsKey("kid") && !Campaign.FIRST_KID.equals(secret.kid())) {
            // The newest active key is not the campaign's first (kid 0, the default of a beacon without kid): name it.
            params.put("kid", secret.kid());
        }
        params.put(CanonicalString.SIGNATURE_PARAM, BeaconSigner.sign(BeaconSigner.key(secret.value()), type, params));
        StringBuilder url = new StringBuilder(gateway.endsWith("/") ? gateway.substring(0, gateway.length() - 1) : gateway)
                .append('/').append(type.code()).append('?');
        params.forEach((k, v) -> url.append(encode(k)).append('=').append(encode(v)).append('&'));
        url.setLength(url.length() - 1);
        out.println(url);
        return 0;
    }

    /** The printed host: --gateway, else ADGRID_GATEWAY_URL, else localhost on the configured gateway port. */
    static String gatewayUrl(Map<String, String> env, Map<String, String> settings) {
        String url = env.get("ADGRID_GATEWAY_URL");
        if (url != null && !url.isBlank()) {
            return url;
        }
        String port = settings.getOrDefault("adgrid.gateway.port", env.getOrDefault("ADGRID_GATEWAY_PORT", "8080"));
        return "http://localhost:" + port;
    }

    /** A banner's campaign and the secret of the key that signs (value null: no such key). Never printed. */
    private record Secret(long campaign, String kid, String value, boolean retired) {
        @Override
        public String toString() {
            return "Secret[campaign=" + campaign + ", kid=" + kid + ", retired=" + retired + "]";
        }
    }

    /** Whose key signs: a banner's campaign, or a campaign named directly (a sale by click id). */
    private record Selector(String from, long id) {
        static Selector banner(long id) {
            return new Selector("(SELECT campaign_id FROM banner WHERE id = ?)", id);
        }

        static Selector campaign(long id) {
            return new Selector("(SELECT id AS campaign_id FROM campaign WHERE id = ?)", id);
        }
    }

    /** What a command reads from the catalog's database. */
    interface CatalogRead<T> {
        T read(DatabaseSettings db) throws SQLException;
    }

    private static Secret secretOf(Selector campaign, String kid, Map<String, String> env, Map<String, String> settings,
                                   PrintStream err) throws SQLException {
        return fromCatalog(env, settings, err, db -> query(db, campaign, kid));
    }

    /**
     * Reads the catalog: from {@code ADGRID_DB_URL} (or {@code --adgrid.db.url}) when set, else from the
     * local {@code ./adgrid run}'s database under the var dir (started briefly if it is not running).
     */
    static <T> T fromCatalog(Map<String, String> env, Map<String, String> settings, PrintStream err, CatalogRead<T> read)
            throws SQLException {
        String url = settings.getOrDefault("adgrid.db.url", env.get("ADGRID_DB_URL"));
        if (url != null && !url.isBlank()) {
            return read.read(new DatabaseSettings(url, settings.getOrDefault("adgrid.db.user", env.getOrDefault("ADGRID_DB_USER", "postgres")),
                    settings.getOrDefault("adgrid.db.password", env.getOrDefault("ADGRID_DB_PASSWORD", ""))));
        }
        Path var = Path.of(settings.getOrDefault("adgrid.var-dir", env.getOrDefault("ADGRID_VAR_DIR", "./var")));
        Path portFile = var.resolve(EmbeddedDatabase.PORT_FILE);
        if (Files.exists(portFile)) {
            try {
                return read.read(EmbeddedDatabase.running(var)); // with the password in var/
            } catch (java.io.IOException | NumberFormatException | SQLException e) {
                // A port file left by a process that is gone: read the files below instead.
            }
        }
        if (!Files.isDirectory(var.resolve("pgdata"))) {
            throw new IllegalStateException("no catalog to sign with: set ADGRID_DB_URL (and ADGRID_DB_USER, ADGRID_DB_PASSWORD) to the "
                    + "cluster's PostgreSQL, or run './adgrid run --demo' here first (" + var.toAbsolutePath().normalize() + " has no database)");
        }
        if (EmbeddedDatabase.serverRunning(var)) {
            throw new IllegalStateException("the local database in " + var.toAbsolutePath().normalize() + " is running but did not answer;"
                    + " try again, or set ADGRID_DB_URL (and ADGRID_DB_USER, ADGRID_DB_PASSWORD)");
        }
        err.println("sign: reading the catalog of the local database in " + var.toAbsolutePath().normalize()
                + " (not running: started briefly); set ADGRID_DB_URL to sign for a cluster");
        try (EmbeddedDatabase embedded = EmbeddedDatabase.start(var, 0)) {
            return read.read(embedded.settings());
        }
    }

    /** A data source on {@code db}, for one short read. */
    static PGSimpleDataSource dataSource(DatabaseSettings db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.url());
        ds.setUser(db.user());
        ds.setPassword(db.password());
        return ds;
    }

    /** The key {@code kid} of the selected campaign, or with kid null its newest active key. */
    private static Secret query(DatabaseSettings db, Selector campaign, String kid) throws SQLException {
        PGSimpleDataSource ds = dataSource(db);
        String sql = kid != null ? """
                SELECT b.campaign_id, s.kid, s.secret, s.retired_at IS NOT NULL AND s.retired_at <= now()
                FROM %s b LEFT JOIN campaign_secret s ON s.campaign_id = b.campaign_id AND s.kid = ?""".formatted(campaign.from()) : """
                SELECT b.campaign_id, s.kid, s.secret, false
                FROM %s b LEFT JOIN LATERAL (
                    SELECT kid, secret FROM campaign_secret
                    WHERE campaign_id = b.campaign_id AND (retired_at IS NULL OR retired_at > now())
                    ORDER BY created_at DESC, kid DESC LIMIT 1) s ON true""".formatted(campaign.from());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, campaign.id());
            if (kid != null) {
                ps.setString(2, kid);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Secret(rs.getLong(1), rs.getString(2) == null ? kid : rs.getString(2), rs.getString(3), rs.getBoolean(4)) : null;
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
