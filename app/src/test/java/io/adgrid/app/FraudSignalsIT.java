package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fraud signals (issue 3) through the whole product: the real gateway, grid, persister and reporting
 * API. Clicks with and without their impression, clicks over the per-IP rate and replays of all of
 * them go in over HTTP; every click is answered 302, and lands in exactly one of clicks and
 * suspect_clicks, live, from PostgreSQL after a flush, and in SQL. Beacons whose User-Agent is a
 * known robot's (issue 21) are answered alike and counted once, in invalid only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FraudSignalsIT {

    private static final String TOKEN = "fraud-admin-token";
    private static final int PORT = TestPorts.of(6200);
    private static final int LIMIT = 5;
    private static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedDatabase database;
    private static InProcessAdGrid app;
    private static String gateway;
    private static String reporting;
    private static final long now = System.currentTimeMillis();

    /** What the test sent, each distinct event once. */
    private static long impressions;
    private static long cleanClicks;
    private static long suspectNoImpression;
    private static long suspectIpRate;
    private static long invalid;
    private static final List<String> clickQueries = new ArrayList<>();
    private static int nextAddress;

    @BeforeAll
    static void startEverything() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        app = InProcessAdGrid.start(database.settings(), "fraud", PORT,
                "--adgrid.admin.token=" + TOKEN,
                "--adgrid.fraud.max-clicks-per-ip-per-minute=" + LIMIT,
                // The test plays many clients from one host: it is the "proxy" and names them in X-Forwarded-For.
                "--adgrid.fraud.trusted-proxy=true");
        gateway = app.gateway;
        reporting = app.reporting;
    }

    @AfterAll
    static void stopEverything() {
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    @Order(1)
    void everyClickIsRedirectedAndLandsInExactlyOneOfCleanAndSuspectLive() throws Exception {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String q = Beacons.beacon(1 + i % 20, 1 + i % 7, now - i, "fr-imp-" + i);
            assertThat(send("/i?" + q, newAddress()).statusCode()).isEqualTo(200);
            impressions++;
            shown.add(q);
        }
        // Clicks of recorded impressions, each client clicking once: clean.
        for (int i = 0; i < 20; i++) {
            click(shown.get(i), newAddress());
            cleanClicks++;
        }
        // Clicks whose impression never came: suspect (no impression).
        for (int i = 0; i < 10; i++) {
            click(Beacons.beacon(21 + i, 1, now - i, "fr-ghost-" + i), newAddress());
            suspectNoImpression++;
        }
        // Clicks whose impression arrives only after them: suspect too, and the late impression counts.
        for (int i = 0; i < 3; i++) {
            String q = Beacons.beacon(31 + i, 2, now - i, "fr-late-" + i);
            click(q, newAddress());
            suspectNoImpression++;
            assertThat(send("/i?" + q, newAddress()).statusCode()).isEqualTo(200);
            impressions++;
        }
        // One client clicking 8 shown ads within a minute: the first LIMIT are clean, the rest suspect (IP rate).
        awaitNotNearTheEndOfAMinute();
        String busy = "203.0.113.250";
        for (int i = 20; i < 28; i++) {
            click(shown.get(i), busy);
            if (i - 20 < LIMIT) {
                cleanClicks++;
            } else {
                suspectIpRate++;
            }
        }
        // Replays of every click, from fresh clients and from the busy one: answered 302, counted nowhere again.
        for (String q : List.copyOf(clickQueries)) {
            click(q, newAddress());
            click(q, busy);
        }
        // A crawler's impression and click, and an impression from Java's own HttpClient (a known robot by its
        // default User-Agent), each sent twice: answered as usual, counted once each, as invalid only.
        String crawled = Beacons.beacon(40, 3, now, "fr-bot-1");
        String scripted = Beacons.beacon(41, 3, now, "fr-bot-2");
        for (int replay = 0; replay < 2; replay++) {
            assertThat(send(Beacons.request(URI.create(gateway + "/i?" + crawled)).setHeader("User-Agent", GOOGLEBOT).build()).statusCode())
                    .isEqualTo(200);
            assertThat(send(Beacons.request(URI.create(gateway + "/c?" + Beacons.clickOf(crawled)))
                    .setHeader("User-Agent", GOOGLEBOT).build()).statusCode()).isEqualTo(302);
            assertThat(send(HttpRequest.newBuilder(URI.create(gateway + "/i?" + scripted)).build()).statusCode()).isEqualTo(200);
        }
        invalid += 3;

        assertTotals("live");
        assertThat(suspectMetric("ip_rate")).isEqualTo(suspectIpRate);
        assertThat(suspectMetric("no_impression")).isEqualTo(suspectNoImpression);
        assertThat(metric("adgrid_gateway_invalid_events_total", "robot")).isEqualTo(invalid);
    }

    @Test
    @Order(2)
    void afterAFlushPostgreSqlHoldsTheSameCleanAndSuspectCounts() throws Exception {
        assertThat(Probes.flush(reporting, TOKEN)).as("admin flush").isEqualTo(200);

        assertTotals("db");
        assertTotals("live");
        try (HikariDataSource ds = io.adgrid.persister.schema.Database.pool(database.settings(), "fraud-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT sum(impressions), sum(clicks), sum(suspect_clicks) FROM counter_minute")) {
            rs.next();
            assertThat(new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)})
                    .containsExactly(impressions, cleanClicks, suspectNoImpression + suspectIpRate);
        }
    }

    @Test
    @Order(3)
    void csvAndTopListsCarrySuspectClicks() throws Exception {
        String range = "&from=" + from() + "&to=" + to();
        HttpResponse<String> csv = get(reporting + "/api/v1/stats?format=csv" + range);
        assertThat(csv.body().lines().toList()).hasSize(2);
        assertThat(csv.body().lines().findFirst()).contains("bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend");
        String[] row = csv.body().lines().skip(1).findFirst().orElseThrow().split(",");
        assertThat(Long.parseLong(row[2])).isEqualTo(cleanClicks);
        assertThat(Long.parseLong(row[7])).isEqualTo(suspectNoImpression + suspectIpRate);

        JsonNode top = JSON.readTree(get(reporting + "/api/v1/top?dimension=banner&metric=suspect_clicks&limit=1000" + range).body());
        long sum = 0;
        for (JsonNode r : top.get("rows")) {
            assertThat(r.get("suspect_clicks").asLong()).isPositive();
            sum += r.get("suspect_clicks").asLong();
        }
        assertThat(sum).isEqualTo(suspectNoImpression + suspectIpRate);
        // Banner 21 only ever had a click without an impression.
        JsonNode ghost = JSON.readTree(get(reporting + "/api/v1/stats?banner=21" + range).body()).get("rows").get(0);
        assertThat(ghost.get("clicks").asLong()).isZero();
        assertThat(ghost.get("suspect_clicks").asLong()).isEqualTo(1);
        assertThat(ghost.get("ctr").asDouble()).isZero();
    }

    private static void click(String query, String client) {
        // The click of the impression query's rendering (contract v2: signed for /c).
        HttpResponse<String> r = send("/c?" + Beacons.clickOf(query), client);
        assertThat(r.statusCode()).as("click %s", query).isEqualTo(302);
        assertThat(r.headers().firstValue("Location").orElse("")).startsWith("https://example.com/landing/");
        if (!clickQueries.contains(query)) {
            clickQueries.add(query);
        }
    }

    private static String newAddress() {
        int n = nextAddress++;
        return "198.51." + (100 + n / 250) + "." + (1 + n % 250);
    }

    /** The per-IP count restarts each minute: the busy client's clicks must all fall in one. */
    private static void awaitNotNearTheEndOfAMinute() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (LocalTime.now(ZoneOffset.UTC).getSecond() > 45) {
            assertThat(System.nanoTime()).as("waiting for the start of a minute").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
    }

    private static void assertTotals(String source) throws Exception {
        JsonNode row = JSON.readTree(get(reporting + "/api/v1/stats?granularity=total&source=" + source
                + "&from=" + from() + "&to=" + to()).body()).get("rows").get(0);
        assertThat(row.get("impressions").asLong()).as("impressions (%s)", source).isEqualTo(impressions);
        assertThat(row.get("clicks").asLong()).as("clean clicks (%s)", source).isEqualTo(cleanClicks);
        assertThat(row.get("suspect_clicks").asLong()).as("suspect clicks (%s)", source).isEqualTo(suspectNoImpression + suspectIpRate);
        assertThat(row.get("invalid").asLong()).as("invalid (%s)", source).isEqualTo(invalid);
    }

    /** adgrid_gateway_suspect_clicks_total{...,reason="REASON"} from the Prometheus endpoint. */
    private static long suspectMetric(String reason) {
        return metric("adgrid_gateway_suspect_clicks_total", reason);
    }

    private static long metric(String name, String reason) {
        String body = get(reporting + "/actuator/prometheus").body();
        return body.lines().filter(l -> l.startsWith(name + "{") && l.contains("reason=\"" + reason + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " for " + reason + " in\n"
                        + body.lines().filter(l -> l.contains(name)).toList()));
    }

    private static String from() {
        return Instant.ofEpochMilli(now).minus(Duration.ofHours(2)).toString();
    }

    private static String to() {
        return Instant.ofEpochMilli(now).plus(Duration.ofHours(2)).toString();
    }

    private static HttpResponse<String> send(String pathAndQuery, String client) {
        return send(Beacons.request(URI.create(gateway + pathAndQuery)).header("X-Forwarded-For", "192.0.2.1, " + client).GET().build());
    }

    private static HttpResponse<String> get(String url) {
        return send(Beacons.request(URI.create(url)).GET().build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
