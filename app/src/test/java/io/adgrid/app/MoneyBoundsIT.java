package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 4: money never wraps, and one bad key never blocks the rest. The whole product in
 * one process (gateway, grid member, write-behind, reporting) on a real PostgreSQL.
 */
class MoneyBoundsIT {

    private static final String TOKEN = "money-admin-token";
    private static final int PORT = TestPorts.of(6950);
    private static final String MAX_AMOUNT = "1000000000";
    private static final long MAX_AMOUNT_MICROS = 1_000_000_000L * 1_000_000L;
    /** What one (minute, banner, publisher) may earn, in micros. */
    private static final long KEY_BOUND_MICROS = 100_000_000_000L * 1_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private EmbeddedDatabase database;
    private InProcessAdGrid app;

    @BeforeEach
    void start() {
        database = EmbeddedDatabase.startTemporary();
        // The overload guard off: on a busy box it may answer 503 (retry later), which is not what this test is about.
        app = InProcessAdGrid.start(database.settings(), "money", PORT, "--adgrid.admin.token=" + TOKEN,
                "--adgrid.gateway.max-request-delay=0");
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /**
     * 9,300 sales of the largest amount on one key: together 9.3 * 10^18 micros, past a long. Before
     * the bound they were all taken and the key's revenue wrapped negative. Now the key takes sales up
     * to its bound and refuses the rest with 422, on /events and on POST /s, and its revenue is exact.
     */
    @Test
    void salesPastTheKeyBoundAreRefusedAndRevenueNeverWraps() throws Exception {
        long now = System.currentTimeMillis();
        int lines = 9_300;
        StringBuilder ndjson = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            ndjson.append(JSON.writeValueAsString(saleLine(11, 5, now, "big-" + i, MAX_AMOUNT))).append('\n');
        }
        HttpResponse<String> answer = post("/events", ndjson.toString());
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(answer.body());
        long fitting = KEY_BOUND_MICROS / MAX_AMOUNT_MICROS;
        assertThat(body.get("accepted").asLong()).as("sales taken by the key (%s)", answer.body().substring(0, 200)).isEqualTo(fitting);
        assertThat(body.get("rejected").asLong()).isEqualTo(lines - fitting);
        assertThat(body.get("errors").get(0).get("status").asInt()).isEqualTo(422);
        assertThat(body.get("errors").get(0).get("error").asText()).isEqualTo("key_revenue_limit");

        HttpResponse<String> oneMore = post("/s?" + Beacons.sale(11, 5, now, "big-one-more", "1"), "");
        assertThat(oneMore.statusCode()).as(oneMore.body()).isEqualTo(422);
        assertThat(oneMore.body()).contains("key_revenue_limit");
        // Another key of the same campaign is not held back by the full one.
        assertThat(post("/s?" + Beacons.sale(11, 6, now, "other-key", "1"), "").statusCode()).isEqualTo(202);

        BigDecimal expected = BigDecimal.valueOf(KEY_BOUND_MICROS, 6);
        assertThat(revenue("banner=11", "live")).isEqualByComparingTo(expected.add(BigDecimal.ONE));
        assertThat(flush()).isEqualTo(200);
        assertThat(revenue("banner=11", "db")).isEqualByComparingTo(expected.add(BigDecimal.ONE));
        assertThat(sql("SELECT revenue_micros FROM counter_minute WHERE banner_id = 11 AND publisher_id = 5")).isEqualTo(KEY_BOUND_MICROS);
        System.out.printf("money bounds: %d sales of %s on one key sent, %d accepted (the key's bound), %d refused 422; "
                + "revenue %s live, after flush and in SQL%n", lines, MAX_AMOUNT, fitting, lines - fitting, expected.toPlainString());
    }

    /**
     * A row PostgreSQL cannot add to (its revenue would pass bigint): before, every write-behind
     * batch holding it failed, and with it every other key of that batch, on every cycle. Now that one
     * row is quarantined and reported, and every other key is written.
     */
    @Test
    void aRowPostgresRefusesIsQuarantinedAndEveryOtherKeyIsWritten() throws Exception {
        long now = System.currentTimeMillis();
        long minute = Math.floorDiv(now, 60_000L);
        try (HikariDataSource pool = Database.pool(database.settings(), "test-poison", 1);
             Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO counter_minute (minute, campaign_id, banner_id, publisher_id, "
                     + "impressions, clicks, conversions, revenue_micros, suspect_clicks) VALUES (to_timestamp(? * 60), 2, 12, 7, 0, 0, 1, ?, 0)")) {
            // A row already near the limit (restored from another system, say): one more unit does not fit.
            ps.setLong(1, minute);
            ps.setLong(2, Long.MAX_VALUE - 10);
            ps.executeUpdate();
        }
        assertThat(post("/s?" + Beacons.sale(12, 7, now, "poison", "1"), "").statusCode()).isEqualTo(202);
        int impressions = 200;
        for (int i = 0; i < impressions; i++) {
            long banner = 100 + i;
            assertThat(get("/i?" + Beacons.beacon(banner, 1 + i % 50, now, "fine-" + i))).isEqualTo(200);
        }
        assertThat(post("/s?" + Beacons.sale(13, 7, now, "fine-sale", "2.50"), "").statusCode()).isEqualTo(202);

        assertThat(flush()).as("admin flush with a poison row").isEqualTo(200);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(impressions);
        assertThat(sql("SELECT revenue_micros FROM counter_minute WHERE banner_id = 13 AND publisher_id = 7")).isEqualTo(2_500_000L);
        assertThat(sql("SELECT revenue_micros FROM counter_minute WHERE banner_id = 12 AND publisher_id = 7"))
                .as("the poison row is left as it was").isEqualTo(Long.MAX_VALUE - 10);
        assertThat(sql("SELECT count(*) FROM counter_quarantine WHERE banner_id = 12 AND publisher_id = 7 AND revenue_micros = 1000000"))
                .isEqualTo(1);
        // Micrometer's common tag (application) is on every line: match the series, whatever its labels.
        assertThat(get("/actuator/prometheus", app.reporting)).containsPattern("(?m)^adgrid_writebehind_quarantined_rows_total\\{[^}]*} 1\\.0$");
        Wait.until("the dashboard reports the quarantined row", Duration.ofSeconds(60),
                () -> quietly(() -> body(app.reporting + "/api/v1/ops/overview"), "").contains("counter rows quarantined"));
        // The member's own cycles keep writing: a new impression reaches PostgreSQL without a flush.
        assertThat(get("/i?" + Beacons.beacon(500, 3, System.currentTimeMillis() - 120_000, "after"))).isEqualTo(200);
        Wait.until("the member's write-behind writes past the poison row", Duration.ofSeconds(60),
                () -> quietly(() -> Probes.sqlImpressions(database.settings()), -1L) == impressions + 1);
        System.out.printf("poison key: 1 sale on a row at bigint's limit, %d impressions and 1 sale on other keys; flush 200; "
                + "%d impressions in SQL, the poison row quarantined (1 row, revenue 1.00)%n", impressions, impressions + 1);
    }

    private interface Read<T> {
        T get() throws Exception;
    }

    /** For polling: a read that fails now (a process busy, a connection refused) is tried again. */
    private static <T> T quietly(Read<T> read, T meanwhile) {
        try {
            return read.get();
        } catch (Exception e) {
            return meanwhile;
        }
    }

    private static Map<String, String> saleLine(long banner, long publisher, long ts, String order, String amount) {
        Map<String, String> line = new TreeMap<>(Beacons.signed(Map.of("b", Long.toString(banner), "p", Long.toString(publisher),
                "ts", Long.toString(ts), "order", order, "amount", amount)));
        line.put("type", "sale");
        return line;
    }

    private BigDecimal revenue(String selector, String source) throws Exception {
        String body = body(app.reporting + "/api/v1/stats?" + selector + "&from=2000-01-01&to=2100-01-01&granularity=total&source=" + source);
        return new BigDecimal(JSON.readTree(body).get("rows").get(0).get("revenue").asText());
    }

    private long sql(String query) throws Exception {
        try (HikariDataSource pool = Database.pool(database.settings(), "test-check", 1);
             Connection c = pool.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            assertThat(rs.next()).as(query).isTrue();
            return rs.getLong(1);
        }
    }

    private int flush() {
        return Probes.flush(app.reporting, TOKEN);
    }

    private HttpResponse<String> post(String pathAndQuery, String body) throws Exception {
        return http.send(Beacons.request(URI.create(app.gateway + pathAndQuery)).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private int get(String pathAndQuery) throws Exception {
        return http.send(Beacons.request(URI.create(app.gateway + pathAndQuery)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static String get(String path, String base) throws Exception {
        return body(base + path);
    }

    private static String body(String url) throws Exception {
        return http.send(Beacons.request(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
