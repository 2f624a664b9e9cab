package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLongArray;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.app.config.Role;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole product on real parts: PostgreSQL, two Hazelcast data members (the all-in-one process
 * and one more), the gateway and the reporting API. Thousands of signed beacons, sales, replays,
 * duplicate orders and invalid requests go in over HTTP; totals must be exact live, then from
 * PostgreSQL after an admin flush, then in SQL after a graceful shutdown.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {

    private static final String TOKEN = "e2e-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CAMPAIGNS = DemoCatalog.CAMPAIGNS;

    private static EmbeddedDatabase database;
    private static HazelcastInstance secondMember;
    private static ConfigurableApplicationContext app;
    private static String gateway;
    private static String reporting;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Expected totals per campaign (index campaign-1): what the test got a 2xx for, once per distinct event. */
    private static final AtomicLongArray impressions = new AtomicLongArray(CAMPAIGNS);
    private static final AtomicLongArray clicks = new AtomicLongArray(CAMPAIGNS);
    private static final AtomicLongArray conversions = new AtomicLongArray(CAMPAIGNS);
    private static final AtomicLongArray revenueMicros = new AtomicLongArray(CAMPAIGNS);
    private static final Map<Integer, Integer> statusCounts = new ConcurrentHashMap<>();

    @BeforeAll
    static void startEverything() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        String cluster = "e2e-" + UUID.randomUUID();
        String members = TestPorts.members(5790, 3);
        secondMember = GridMember.start(new GridSettings(cluster, GridSettings.parseMembers(members), TestPorts.of(5790), false, 271, 1));
        app = AdGrid.start(Role.RUN,
                "--adgrid.db.url=" + database.settings().url(),
                "--adgrid.db.user=postgres",
                "--adgrid.grid.cluster-name=" + cluster,
                "--adgrid.grid.port=" + TestPorts.of(5790),
                "--adgrid.members=" + members,
                "--adgrid.gateway.port=0",
                "--server.port=0",
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-e2e"),
                "--adgrid.demo=true",
                // Every request comes from 127.0.0.1: no per-IP click limit here (FraudSignalsIT tests it).
                "--adgrid.fraud.max-clicks-per-ip-per-minute=0",
                "--spring.lifecycle.timeout-per-shutdown-phase=10m",
                "--adgrid.admin.token=" + TOKEN);
        gateway = "http://127.0.0.1:" + app.getBean(GatewayServer.class).port();
        reporting = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
        assertThat(app.getBean(HazelcastInstance.class).getCluster().getMembers()).hasSize(2);
    }

    @AfterAll
    static void stopEverything() {
        if (app != null) {
            app.close();
        }
        if (secondMember != null && secondMember.getLifecycleService().isRunning()) {
            secondMember.getLifecycleService().terminate();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    @Order(1)
    void everyAcknowledgedEventIsCountedExactlyOnceLive() throws Exception {
        long now = System.currentTimeMillis();
        List<Runnable> work = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            long banner = 1 + i % 200;
            long publisher = 1 + i % 37;
            String q = Beacons.beacon(banner, publisher, now - i, "imp-" + i);
            work.add(() -> expectBeacon("/i?" + q, 200, banner, impressions));
            if (i % 10 == 0) {
                work.add(() -> expectBeacon("/i?" + q, 200, banner, null)); // replay: same answer, not counted
            }
        }
        // Clicks of the first 400 impressions (same b, p, ts, n), sent once those are answered: clean clicks.
        List<Runnable> clickWork = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            long banner = 1 + i % 200;
            String q = Beacons.click(banner, 1 + i % 37, now - i, "imp-" + i);
            clickWork.add(() -> expectBeacon("/c?" + q, 302, banner, clicks));
            if (i % 10 == 0) {
                clickWork.add(() -> expectBeacon("/c?" + q, 302, banner, null));
            }
        }
        for (int i = 0; i < 150; i++) {
            long banner = 1 + i % 40;
            String amount = i + ".25";
            String q = Beacons.sale(banner, 2, now - i, "ord-" + i, amount);
            work.add(() -> expectSale(q, banner, amount));
        }
        // Invalid input: never counted, always its precise 4xx.
        for (int k = 0; k < 50; k++) {
            int i = k;
            String good = Beacons.beacon(3, 3, now, "bad-" + i);
            String tampered = good.replace("b=3", "b=13"); // same campaign, other banner: signature no longer matches
            work.add(() -> expectStatus("/i?" + tampered, 403));
            work.add(() -> expectStatus("/i?" + Beacons.beacon(999_999, 3, now, "nob-" + i), 404));
            work.add(() -> expectStatus("/i?" + Beacons.beacon(3, 3, now - Duration.ofHours(1).toMillis(), "old-" + i), 422));
            work.add(() -> expectStatus("/i?b=abc&p=3&ts=" + now + "&n=x&sig=y", 400));
        }
        runConcurrently(work);
        runConcurrently(clickWork);

        // A sale re-posted (a retrying ad server) is answered as a duplicate and counted once.
        String repost = Beacons.sale(1, 2, now, "ord-0", "0.25");
        HttpResponse<String> dup = post("/s?" + repost);
        assertThat(dup.statusCode()).isEqualTo(200);
        assertThat(dup.body()).contains("\"duplicate\":true");

        // Server-to-server NDJSON: new events, replays and forgeries in one request.
        StringBuilder ndjson = new StringBuilder();
        int newLines = 0;
        for (int i = 0; i < 300; i++) {
            long banner = 300 + i;
            Map<String, String> p = Beacons.signed(Map.of("b", Long.toString(banner), "p", "5", "ts", Long.toString(now), "n", "nd-" + i));
            ndjson.append(JSON.writeValueAsString(withType(p, "impression"))).append('\n');
            impressions.incrementAndGet((int) DemoCatalog.campaignOf(banner) - 1);
            newLines++;
            if (i % 3 == 0) {
                ndjson.append(JSON.writeValueAsString(withType(p, "impression"))).append('\n'); // replay
            }
            if (i % 5 == 0) {
                Map<String, String> forged = new java.util.TreeMap<>(p);
                forged.put("p", "6");
                ndjson.append(JSON.writeValueAsString(withType(forged, "impression"))).append('\n');
            }
        }
        HttpResponse<String> batch = http.send(Beacons.request(URI.create(gateway + "/events"))
                .POST(HttpRequest.BodyPublishers.ofString(ndjson.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(batch.statusCode()).isEqualTo(200);
        JsonNode summary = JSON.readTree(batch.body());
        assertThat(summary.get("accepted").asInt()).isEqualTo(newLines + 100);
        assertThat(summary.get("duplicates").asInt()).isEqualTo(100);
        assertThat(summary.get("rejected").asInt()).isEqualTo(60);
        assertThat(summary.get("errors").get(0).get("status").asInt()).isEqualTo(403);

        assertThat(statusCounts).doesNotContainKeys(500, 502, 503);
        assertTotals("live");
    }

    @Test
    @Order(2)
    void adminFlushPutsEverythingInPostgreSql() throws Exception {
        HttpResponse<String> denied = http.send(Beacons.request(URI.create(reporting + "/api/v1/admin/flush"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(denied.statusCode()).isEqualTo(401);

        HttpResponse<String> flushed = http.send(Beacons.request(URI.create(reporting + "/api/v1/admin/flush"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(flushed.statusCode()).isEqualTo(200);
        assertTotals("db");
        assertTotals("live");
        assertSqlTotals();
    }

    /** Issue 21: impressions carrying u, by GET /i and by POST /events, give the campaign its unique reach, live and after a flush. */
    @Test
    @Order(3)
    void uniqueReachCountsEachUserOnceLiveAndAfterAFlush() throws Exception {
        long banner = 9;   // campaign 9: earlier impressions carried no u, so they reach no one known
        long now = System.currentTimeMillis();
        for (String[] seen : new String[][] {{"r1", "alice"}, {"r2", "bob"}, {"r3", "alice"}}) {
            Map<String, String> p = Map.of("b", Long.toString(banner), "p", "2", "ts", Long.toString(now), "n", seen[0], "u", seen[1]);
            assertThat(get(gateway + "/i?" + Beacons.query(Beacons.signed(p))).statusCode()).isEqualTo(200);
        }
        Map<String, String> line = Beacons.signed(Map.of("b", Long.toString(banner), "p", "2", "ts", Long.toString(now), "n", "r4", "u", "carol"));
        assertThat(http.send(Beacons.request(URI.create(gateway + "/events"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(withType(line, "impression")))).build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains("\"accepted\":1");
        impressions.addAndGet((int) DemoCatalog.campaignOf(banner) - 1, 4);
        String stats = reporting + "/api/v1/stats?campaign=" + DemoCatalog.campaignOf(banner) + "&from=" + from() + "&to=" + to() + "&source=";

        assertThat(JSON.readTree(get(stats + "live").body()).at("/rows/0/reach").asLong()).isEqualTo(3);
        assertThat(Probes.flush(reporting, TOKEN)).isEqualTo(200);
        assertThat(JSON.readTree(get(stats + "db").body()).at("/rows/0/reach").asLong()).isEqualTo(3);
        assertThat(JSON.readTree(get(stats + "live").body()).at("/rows/0/reach").asLong()).isEqualTo(3);
        assertTotals("live");
    }

    /** Issue 26, item 4: what a client generator needs is in the document. */
    private static void assertOpenApiFitForClients(JsonNode api) {
        assertThat(api.at("/info/title").asText()).isEqualTo("AdGrid reporting API");
        assertThat(api.at("/info/version").asText()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(api.at("/components/securitySchemes/admin/scheme").asText()).isEqualTo("bearer");
        JsonNode stats = api.at("/paths/~1api~1v1~1stats/get");
        assertThat(stats.get("security")).as("public").isEmpty();
        assertThat(stats.at("/responses").fieldNames()).toIterable().contains("200", "400", "503");
        assertThat(stats.at("/responses/200/content/application~1json/schema/$ref").asText()).endsWith("/StatsAnswer");
        assertThat(stats.at("/responses/200/content").has("text/csv")).isTrue();
        assertThat(api.at("/components/schemas/StatsRow/properties/ctr/type").toString()).contains("number");
        JsonNode top = api.at("/paths/~1api~1v1~1top/get");
        for (JsonNode p : top.get("parameters")) {
            switch (p.get("name").asText()) {
                case "limit" -> assertThat(p.at("/schema/type").asText()).isEqualTo("integer");
                case "dimension" -> assertThat(p.at("/schema/enum").toString()).contains("banner", "publisher", "campaign");
                case "metric" -> assertThat(p.at("/schema/enum").toString()).contains("suspect_clicks");
                default -> { }
            }
        }
        JsonNode flush = api.at("/paths/~1api~1v1~1admin~1flush/post");
        assertThat(flush.at("/security/0").has("admin")).isTrue();
        assertThat(flush.at("/responses").fieldNames()).toIterable().contains("401", "503");
        JsonNode putCampaign = api.at("/paths/~1api~1v1~1admin~1catalog~1campaigns~1{id}/put/responses");
        assertThat(putCampaign.fieldNames()).toIterable().contains("400", "401", "404", "413", "422", "503");
        assertThat(api.at("/components/schemas/ApiError/required").toString()).contains("status", "error", "reason");
    }

    @Test
    @Order(4)
    void reportingAnswersCsvTopListsAndDocuments() throws Exception {
        HttpResponse<String> csv = get(reporting + "/api/v1/stats?campaign=1&format=csv&from=" + from() + "&to=" + to());
        assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        assertThat(csv.body()).startsWith("bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend\n");
        assertThat(csv.body().lines()).hasSize(2);

        JsonNode top = JSON.readTree(get(reporting + "/api/v1/top?dimension=campaign&metric=impressions&limit=3&from=" + from() + "&to=" + to()).body());
        assertThat(top.get("rows")).hasSize(3);
        long best = top.get("rows").get(0).get("impressions").asLong();
        for (int c = 0; c < CAMPAIGNS; c++) {
            assertThat(impressions.get(c)).isLessThanOrEqualTo(best);
        }

        assertThat(get(reporting + "/api/v1/stats?campaign=x").statusCode()).isEqualTo(400);
        HttpResponse<String> wrongType = get(reporting + "/api/v1/ops/overview?since=abc");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(wrongType.body()).contains("\"error\":\"bad_request\"", "since");
        String docs = get(reporting + "/v3/api-docs").body();
        assertThat(docs).contains("/api/v1/stats", "/api/v1/top", "/api/v1/admin/flush");
        // Saved for ops/openapi/lint.sh (Redocly), which .ci/run runs after the build.
        Files.writeString(Path.of("target", "openapi.json"), docs);
        assertOpenApiFitForClients(JSON.readTree(docs));
        assertThat(get(reporting + "/actuator/health").statusCode()).isEqualTo(200);
        assertThat(get(reporting + "/actuator/prometheus").body()).contains("adgrid_gateway_events_total");
        assertThat(get(gateway + "/healthz").body()).contains("UP");
    }

    @Test
    @Order(5)
    @org.junit.jupiter.api.Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
    void gracefulShutdownWritesWhatWasAcceptedSinceTheLastFlush() throws Exception {
        long now = System.currentTimeMillis();
        List<Runnable> work = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            long banner = 1 + i % 300;
            String q = Beacons.beacon(banner, 7, now, "late-" + i);
            work.add(() -> expectBeacon("/i?" + q, 200, banner, impressions));
        }
        runConcurrently(work);
        // An ad server listening on the pacing stream: a shutdown ends its stream (it reconnects to
        // another process) instead of waiting for it, which held the web server's graceful stop for
        // its whole timeout (set to 10 minutes here, so that a held stream fails the test's timeout).
        java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> stream = http.sendAsync(
                Beacons.request(URI.create(reporting + "/api/v1/pacing/stream")).build(), HttpResponse.BodyHandlers.ofLines());
        java.util.Iterator<String> lines = stream.get(30, java.util.concurrent.TimeUnit.SECONDS).body().iterator();
        assertThat(lines.next()).as("the stream's first line").isNotNull();
        java.util.concurrent.CompletableFuture<Long> rest = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            long n = 0;
            while (lines.hasNext()) {
                lines.next();
                n++;
            }
            return n;
        });
        // The second member leaves gracefully (its partitions move to the all-in-one member), then
        // the all-in-one process shuts down: what it accepted must be in PostgreSQL when it is gone.
        secondMember.shutdown();
        app.close();
        app = null;
        assertThat(rest).as("the pacing stream ended").succeedsWithin(Duration.ofSeconds(30));
        assertSqlTotals();
    }

    private static Map<String, String> withType(Map<String, String> params, String type) {
        Map<String, String> out = new java.util.TreeMap<>(params);
        out.put("type", type);
        return out;
    }

    private static void expectBeacon(String pathAndQuery, int status, long banner, AtomicLongArray counter) {
        HttpResponse<String> r = get(gateway + pathAndQuery);
        assertThat(r.statusCode()).as(pathAndQuery).isEqualTo(status);
        if (status == 302) {
            assertThat(r.headers().firstValue("Location").orElse("")).startsWith("https://example.com/landing/" + banner + "?agclid=");
        }
        if (counter != null) {
            counter.incrementAndGet((int) DemoCatalog.campaignOf(banner) - 1);
        }
    }

    private static void expectSale(String query, long banner, String amount) {
        HttpResponse<String> r = post("/s?" + query);
        assertThat(r.statusCode()).isEqualTo(202);
        int c = (int) DemoCatalog.campaignOf(banner) - 1;
        conversions.incrementAndGet(c);
        revenueMicros.addAndGet(c, new BigDecimal(amount).movePointRight(6).longValueExact());
    }

    private static void expectStatus(String pathAndQuery, int status) {
        assertThat(get(gateway + pathAndQuery).statusCode()).as(pathAndQuery).isEqualTo(status);
    }

    private static HttpResponse<String> get(String url) {
        return send(Beacons.request(URI.create(url)).GET().build());
    }

    private static HttpResponse<String> post(String pathAndQuery) {
        return send(Beacons.request(URI.create(gateway + pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            statusCounts.merge(r.statusCode(), 1, Integer::sum);
            return r;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void runConcurrently(List<Runnable> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable r : work) {
                futures.add(pool.submit(r));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static String from() {
        return Instant.now().minus(Duration.ofHours(2)).toString();
    }

    private static String to() {
        return Instant.now().plus(Duration.ofHours(2)).toString();
    }

    private static void assertTotals(String source) throws Exception {
        long allImpressions = 0;
        for (int c = 1; c <= CAMPAIGNS; c++) {
            JsonNode row = JSON.readTree(get(reporting + "/api/v1/stats?campaign=" + c + "&granularity=total&source=" + source
                    + "&from=" + from() + "&to=" + to()).body()).get("rows").get(0);
            assertThat(row.get("impressions").asLong()).as("impressions of campaign %d (%s)", c, source).isEqualTo(impressions.get(c - 1));
            assertThat(row.get("clicks").asLong()).as("clicks of campaign %d (%s)", c, source).isEqualTo(clicks.get(c - 1));
            assertThat(row.get("suspect_clicks").asLong()).as("suspect clicks of campaign %d (%s)", c, source).isZero();
            assertThat(row.get("conversions").asLong()).as("conversions of campaign %d (%s)", c, source).isEqualTo(conversions.get(c - 1));
            assertThat(new BigDecimal(row.get("revenue").asText()).movePointRight(6).longValueExact())
                    .as("revenue of campaign %d (%s)", c, source).isEqualTo(revenueMicros.get(c - 1));
            allImpressions += impressions.get(c - 1);
        }
        JsonNode all = JSON.readTree(get(reporting + "/api/v1/stats?granularity=hour&source=" + source
                + "&from=" + from() + "&to=" + to()).body()).get("rows");
        long sum = 0;
        for (JsonNode r : all) {
            sum += r.get("impressions").asLong();
        }
        assertThat(sum).as("impressions over all hours (%s)", source).isEqualTo(allImpressions);
    }

    private static void assertSqlTotals() throws Exception {
        try (HikariDataSource ds = io.adgrid.persister.schema.Database.pool(database.settings(), "e2e-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros)"
                     + " FROM counter_minute GROUP BY campaign_id ORDER BY campaign_id")) {
            long[][] got = new long[CAMPAIGNS][4];
            while (rs.next()) {
                int i = rs.getInt(1) - 1;
                for (int k = 0; k < 4; k++) {
                    got[i][k] = rs.getLong(k + 2);
                }
            }
            for (int i = 0; i < CAMPAIGNS; i++) {
                assertThat(got[i]).as("SQL totals of campaign %d", i + 1)
                        .containsExactly(impressions.get(i), clicks.get(i), conversions.get(i), revenueMicros.get(i));
            }
        }
    }
}
