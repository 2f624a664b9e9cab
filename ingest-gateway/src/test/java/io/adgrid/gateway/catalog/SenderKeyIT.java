package io.adgrid.gateway.catalog;

import static io.adgrid.grid.testing.GridTotals.sum;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.catalog.SenderKeys;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request-signed {@code POST /events} (issue 23) through the real gateway (HTTP, catalog refreshed from
 * PostgreSQL, grid): a sender key made by the admin writes is picked up at the next catalog refresh
 * without a restart; a signed batch is counted exactly, a re-signed one counts nothing twice, the same
 * request again is refused; a line of a campaign off the key's list is refused on its own; a rotated
 * key's previous secret signs for the overlap; a disabled key signs nothing.
 */
class SenderKeyIT {

    private static final long CAMPAIGN_7 = 7;                 // banners 7, 17, 27, ... of the demo catalog
    private static final long CAMPAIGN_8 = 8;                 // banners 8, 18, ...
    private static final Duration REFRESH = Duration.ofMillis(200);

    private static TestDatabase db;
    private static List<HazelcastInstance> grid;

    @TempDir
    Path dir;
    private TestGateway gateway;
    private SenderKeys keys;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        grid = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(SenderKeyIT.class), TestPorts.of(6450)), 1);
    }

    @AfterAll
    static void stop() {
        TestGrid.terminate(grid);
        db.close();
    }

    @BeforeEach
    void startGateway() {
        db.sql("TRUNCATE sender_key CASCADE");
        db.sql("TRUNCATE campaign_budget, campaign_price, campaign_secret, banner, publisher, campaign, catalog_deletion");
        DemoCatalog.seedIfEmpty(db.dataSource());
        keys = new SenderKeys(db.dataSource());
        gateway = TestGateway.start(dir, CatalogLimits.defaults(), db.dataSource(), grid.get(0), REFRESH);
    }

    @AfterEach
    void stopGateway() {
        gateway.close();
    }

    @Test
    void aKeyMadeAfterTheStartSignsBatchesThatCountExactlyOnce() throws Exception {
        String body = impressions(7, 500, "exact");
        long ts = System.currentTimeMillis();
        HttpResponse<String> before = gateway.postEvents(body, sign("ad-server-1", "no-such-key-yet-0123456", ts, body));
        assertThat(before.statusCode()).isEqualTo(403);
        assertThat(before.body()).contains("unknown_sender_key");

        String secret = keys.create("ad-server-1", null, List.of(CAMPAIGN_7)).secret().value();
        Counts start = sum(grid.get(0));
        HttpResponse<String> first = awaitNot403(body, "ad-server-1", secret);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).contains("\"accepted\":500", "\"duplicates\":0", "\"rejected\":0");
        assertThat(sum(grid.get(0)).impressions - start.impressions).isEqualTo(500);

        long again = System.currentTimeMillis() + 1;
        HttpResponse<String> resigned = gateway.postEvents(body, sign("ad-server-1", secret, again, body));
        assertThat(resigned.statusCode()).isEqualTo(200);
        assertThat(resigned.body()).contains("\"accepted\":500", "\"duplicates\":500");
        HttpResponse<String> replay = gateway.postEvents(body, sign("ad-server-1", secret, again, body));
        assertThat(replay.statusCode()).isEqualTo(409);
        assertThat(replay.body()).contains("replayed_request");
        assertThat(sum(grid.get(0)).impressions - start.impressions).as("re-sent and replayed: counted once").isEqualTo(500);
    }

    @Test
    void aLineOfACampaignOffTheListIsRefusedOnItsOwnAndTheOthersCount() throws Exception {
        String secret = keys.create("ad-server-2", null, List.of(CAMPAIGN_7)).secret().value();
        gateway.catalog.refresh();
        String body = impressions(7, 3, "mixed") + impressions(8, 2, "other") + impressions(17, 1, "mixed-17");
        Counts start = sum(grid.get(0));

        HttpResponse<String> a = gateway.postEvents(body, sign("ad-server-2", secret, System.currentTimeMillis(), body));

        assertThat(a.statusCode()).isEqualTo(200);
        assertThat(a.body()).contains("\"accepted\":4", "\"rejected\":2",
                "{\"line\":4,\"status\":403,\"error\":\"campaign_not_allowed\"", "{\"line\":5,\"status\":403,\"error\":\"campaign_not_allowed\"");
        assertThat(sum(grid.get(0)).impressions - start.impressions).isEqualTo(4);

        // The list grows: from the next refresh campaign 8's lines count too.
        keys.setCampaigns("ad-server-2", List.of(CAMPAIGN_7, CAMPAIGN_8));
        gateway.catalog.refresh();
        String more = impressions(8, 2, "now-allowed");
        HttpResponse<String> b = gateway.postEvents(more, sign("ad-server-2", secret, System.currentTimeMillis(), more));
        assertThat(b.body()).contains("\"accepted\":2", "\"rejected\":0");
        assertThat(sum(grid.get(0)).impressions - start.impressions).isEqualTo(6);
    }

    @Test
    void aRotatedKeysPreviousSecretSignsForTheOverlapAndADisabledKeySignsNothing() throws Exception {
        String first = keys.create("ad-server-3", null, List.of(CAMPAIGN_7)).secret().value();
        String second = keys.rotate("ad-server-3", null, Duration.ofMinutes(5)).secret().value();
        gateway.catalog.refresh();
        Counts start = sum(grid.get(0));

        String a = impressions(7, 2, "old");
        assertThat(gateway.postEvents(a, sign("ad-server-3", first, System.currentTimeMillis(), a)).body()).contains("\"accepted\":2");
        String b = impressions(7, 2, "new");
        assertThat(gateway.postEvents(b, sign("ad-server-3", second, System.currentTimeMillis(), b)).body()).contains("\"accepted\":2");

        keys.disable("ad-server-3");
        gateway.catalog.refresh();
        String c = impressions(7, 2, "off");
        HttpResponse<String> refused = gateway.postEvents(c, sign("ad-server-3", second, System.currentTimeMillis(), c));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("disabled_sender_key");
        assertThat(sum(grid.get(0)).impressions - start.impressions).isEqualTo(4);
    }

    @Test
    void withoutTheHeaderLinesAreCheckedOneByOneAsBefore() throws Exception {
        keys.create("ad-server-4", null, List.of(CAMPAIGN_7));
        gateway.catalog.refresh();
        String body = impressions(7, 2, "unsigned");
        Counts start = sum(grid.get(0));

        HttpResponse<String> a = gateway.postEvents(body, null);

        assertThat(a.statusCode()).isEqualTo(200);
        assertThat(a.body()).contains("\"accepted\":0", "\"rejected\":2", "bad_sig");
        assertThat(sum(grid.get(0)).impressions).isEqualTo(start.impressions);
    }

    /** Sends until the gateway's scheduled refresh knows the key (no call to refresh: the gateway finds it on its own). */
    private HttpResponse<String> awaitNot403(String body, String kid, String secret) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            HttpResponse<String> r = gateway.postEvents(body, sign(kid, secret, System.currentTimeMillis(), body));
            if (r.statusCode() != 403 || System.nanoTime() > deadline) {
                return r;
            }
            assertThat(r.body()).contains("unknown_sender_key");
            Thread.sleep(REFRESH.toMillis());
        }
    }

    private static String impressions(long banner, int count, String prefix) {
        StringBuilder b = new StringBuilder();
        long ts = System.currentTimeMillis();
        for (int i = 0; i < count; i++) {
            b.append("{\"type\":\"impression\",\"b\":").append(banner).append(",\"p\":3,\"ts\":").append(ts)
                    .append(",\"n\":\"").append(prefix).append('-').append(i).append("\"}\n");
        }
        return b.toString();
    }

    private static String sign(String kid, String secret, long ts, String body) {
        return RequestSignature.header(BeaconSigner.key(secret), "POST", "/events", kid, ts, body.getBytes(StandardCharsets.UTF_8));
    }
}
