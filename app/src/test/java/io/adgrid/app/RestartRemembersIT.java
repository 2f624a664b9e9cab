package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 1: identities outlive the process. An impression, its click and a sale are
 * counted by {@code adgrid run}; the process is stopped (SIGTERM, or SIGKILL) and started again on
 * the same journal directory and database; the same three beacons sent again are duplicates: the
 * pixel and the redirect as before, the sale {@code 200 {"duplicate":true}}, and PostgreSQL holds
 * each once.
 */
class RestartRemembersIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private EmbeddedDatabase database;
    private AdGridProcess adgrid;
    private final List<AdGridProcess> others = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        if (adgrid != null) {
            adgrid.close();
        }
        for (AdGridProcess p : others) {
            p.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void beaconsAndSaleSentAgainAfterAGracefulStopAreDuplicates() throws Exception {
        sentAgainAfterRestartAreDuplicates(true);
    }

    @Test
    void beaconsAndSaleSentAgainAfterAKillAreDuplicates() throws Exception {
        sentAgainAfterRestartAreDuplicates(false);
    }

    /**
     * Two {@code adgrid node} processes behind an {@code adgrid gateway}: a rolling restart of both
     * (SIGTERM, start again, one after the other), then SIGKILL of both. The identities moved to the
     * other member in memory only; the stopped members' kept journals bring them back.
     */
    @Test
    @Tag("faults") // -Pfaults only: seven member starts; the default suite has the graceful stop and the kill above
    void beaconsAndSaleSentAgainAfterARollingRestartOfEveryMemberAndACrashAreDuplicates() throws Exception {
        database = TestDatabase.startDemoServer();
        List<String> grid = List.of("--adgrid.db.url=" + database.settings().url(),
                "--adgrid.grid.cluster-name=rolling-remembers-" + UUID.randomUUID(),
                "--adgrid.members=" + TestPorts.members(7791, 2), "--adgrid.ops.metrics-port=0",
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-rolling-remembers"));
        List<AdGridProcess> nodes = new ArrayList<>(List.of(node(grid), node(grid)));
        AdGridProcess.awaitDataMembers(nodes, Duration.ofSeconds(600));
        int gatewayPort = AdGridProcess.freePort();
        String gateway = "http://127.0.0.1:" + gatewayPort;
        List<String> gatewayFlags = new ArrayList<>(grid);
        gatewayFlags.addAll(List.of("--adgrid.grid.port=" + TestPorts.of(7795), "--adgrid.gateway.port=" + gatewayPort));
        AdGridProcess gatewayProcess = AdGridProcess.start("gateway", gatewayFlags);
        others.add(gatewayProcess);
        Wait.until("the gateway answers /healthz 200", Duration.ofSeconds(600),
                () -> gatewayProcess.assertRunning() && Probes.status(gateway + "/healthz") == 200);

        long ts = System.currentTimeMillis();
        String rendering = Beacons.beacon(17, 4, ts, "rolling-remembers");
        String sale = Beacons.sale(17, 4, ts, "order-" + UUID.randomUUID(), "3.10");
        assertThat(answered(() -> get(gateway + "/i?" + rendering)).statusCode()).isEqualTo(200);
        assertThat(answered(() -> get(gateway + "/c?" + Beacons.clickOf(rendering))).statusCode()).isEqualTo(302);
        assertThat(answered(() -> postSale(gateway, sale)).statusCode()).isEqualTo(202);

        for (int i = 0; i < 2; i++) {
            AdGridProcess leaving = nodes.remove(0);
            assertThat(leaving.terminate(120)).as("member exits within 120 s of SIGTERM").isTrue();
            nodes.add(node(grid));
            AdGridProcess.awaitDataMembers(nodes, Duration.ofSeconds(600));
        }
        AdGridProcess.killAll(nodes);
        nodes = new ArrayList<>(List.of(node(grid), node(grid)));
        AdGridProcess.awaitDataMembers(nodes, Duration.ofSeconds(600));
        Wait.until("the gateway counts again", Duration.ofSeconds(600),
                () -> gatewayProcess.assertRunning() && Probes.status(gateway + "/healthz") == 200);

        assertThat(answered(() -> get(gateway + "/i?" + rendering)).statusCode()).isEqualTo(200);
        assertThat(answered(() -> get(gateway + "/c?" + Beacons.clickOf(rendering))).statusCode()).isEqualTo(302);
        HttpResponse<String> again = answered(() -> postSale(gateway, sale));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(again.body()).contains("\"duplicate\":true");

        assertThat(gatewayProcess.terminate(120)).isTrue();
        for (AdGridProcess n : nodes) {
            assertThat(n.terminate(120)).isTrue();
        }
        assertThat(sqlTotals()).as("impressions, clicks, conversions in PostgreSQL").containsExactly(1L, 1L, 1L);
    }

    private AdGridProcess node(List<String> grid) throws Exception {
        List<String> flags = new ArrayList<>(grid);
        flags.add("--adgrid.grid.port=" + TestPorts.of(7791));
        AdGridProcess p = AdGridProcess.start("node", flags);
        others.add(p);
        return p;
    }

    private void sentAgainAfterRestartAreDuplicates(boolean graceful) throws Exception {
        database = EmbeddedDatabase.startTemporary();
        Path var = TestDirs.temporary("adgrid-remembers");
        String cluster = "remembers-" + UUID.randomUUID();
        int gatewayPort = AdGridProcess.freePort();
        String gateway = "http://127.0.0.1:" + gatewayPort;
        List<String> flags = List.of("--adgrid.db.url=" + database.settings().url(), "--adgrid.grid.cluster-name=" + cluster,
                "--adgrid.grid.port=" + TestPorts.of(7790), "--adgrid.members=" + TestPorts.members(7790, 1),
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + AdGridProcess.freePort(),
                "--adgrid.var-dir=" + var, "--adgrid.demo=true");

        adgrid = AdGridProcess.start("run", flags);
        awaitHealthy(gateway);
        long ts = System.currentTimeMillis();
        String rendering = Beacons.beacon(7, 3, ts, "remembers-" + graceful);
        String clickQuery = Beacons.clickOf(rendering);
        String order = "order-" + UUID.randomUUID();
        String sale = Beacons.sale(7, 3, ts, order, "12.50");

        assertThat(answered(() -> get(gateway + "/i?" + rendering)).statusCode()).isEqualTo(200);
        HttpResponse<String> click = answered(() -> get(gateway + "/c?" + clickQuery));
        assertThat(click.statusCode()).isEqualTo(302);
        String clickId = Beacons.clickIdOf(click.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> first = answered(() -> postSale(gateway, sale));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);

        if (graceful) {
            assertThat(adgrid.terminate(60)).as("exited within 60 s of SIGTERM").isTrue();
            assertThat(sqlTotals()).as("written by the graceful stop").containsExactly(1L, 1L, 1L);
        } else {
            adgrid.kill();
        }

        adgrid = AdGridProcess.start("run", flags);
        awaitHealthy(gateway);

        assertThat(answered(() -> get(gateway + "/i?" + rendering)).statusCode()).isEqualTo(200);
        HttpResponse<String> clickAgain = answered(() -> get(gateway + "/c?" + clickQuery));
        assertThat(clickAgain.statusCode()).isEqualTo(302);
        assertThat(Beacons.clickIdOf(clickAgain.headers().firstValue("Location").orElseThrow())).as("the same click's id").isEqualTo(clickId);
        HttpResponse<String> again = answered(() -> postSale(gateway, sale));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(again.body()).contains("\"duplicate\":true");
        // The advertiser's postback by the id its landing page got before the restart: attributed, then a duplicate.
        String postback = Beacons.saleByClick(clickId, System.currentTimeMillis(), "postback-" + order, "7.50");
        HttpResponse<String> byClick = answered(() -> postSale(gateway, postback));
        assertThat(byClick.statusCode()).as(byClick.body()).isEqualTo(202);
        assertThat(answered(() -> postSale(gateway, postback)).body()).contains("\"duplicate\":true");

        assertThat(adgrid.terminate(60)).as("exited within 60 s of SIGTERM").isTrue();
        assertThat(sqlTotals()).as("impressions, clicks, conversions in PostgreSQL").containsExactly(1L, 1L, 2L);
        assertThat(sql("SELECT banner_id || '/' || publisher_id || '/' || sum(revenue_micros) FROM counter_minute"
                + " WHERE conversions > 0 GROUP BY banner_id, publisher_id")).as("both sales on the click's banner and publisher")
                .containsExactly("7/3/20000000");
    }

    /** A request a client sends until it is not answered 503 with Retry-After (overloaded, recovering): never counted. */
    private static HttpResponse<String> answered(Callable<HttpResponse<String>> request) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (true) {
            HttpResponse<String> r = request.call();
            if (r.statusCode() != 503 || r.headers().firstValue("Retry-After").isEmpty() || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(500);
        }
    }

    private void awaitHealthy(String gateway) {
        Wait.until("the gateway answers /healthz 200", Duration.ofSeconds(600),
                () -> adgrid.assertRunning() && Probes.status(gateway + "/healthz") == 200);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(Beacons.request(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> postSale(String gateway, String form) throws Exception {
        return HTTP.send(Beacons.request(URI.create(gateway + "/s")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<Long> sqlTotals() throws Exception {
        try (HikariDataSource ds = Database.pool(database.settings(), "test-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(impressions), 0), coalesce(sum(clicks), 0), "
                     + "coalesce(sum(conversions), 0) FROM counter_minute")) {
            rs.next();
            return List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3));
        }
    }

    private List<String> sql(String query) throws Exception {
        try (HikariDataSource ds = Database.pool(database.settings(), "test-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
