package io.adgrid.gateway.catalog;

import static io.adgrid.gateway.catalog.TestGateway.impression;
import static io.adgrid.gateway.catalog.TestGateway.signed;
import static io.adgrid.gateway.catalog.TestGateway.signedClick;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.GridTotals;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating a campaign's secret through the real gateway (HTTP, grid, PostgreSQL): during the
 * overlap beacons signed with the old key and with the new one are both counted; once the old key
 * is retired its beacons are refused; an unknown kid is refused; and nothing refused is counted.
 */
class KeyRotationIT {

    private static final long BANNER = 7;                                  // campaign 7 of the demo catalog
    private static final long CAMPAIGN = DemoCatalog.campaignOf(BANNER);
    private static final String OLD = DemoCatalog.secretOf(CAMPAIGN);
    private static final String NEW = "rotated-secret-7";

    private static TestDatabase db;
    private static List<HazelcastInstance> grid;

    @TempDir
    Path dir;
    private TestGateway gateway;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        grid = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(KeyRotationIT.class), TestPorts.of(6000)), 1);
    }

    @AfterAll
    static void stop() {
        TestGrid.terminate(grid);
        db.close();
    }

    @BeforeEach
    void startGateway() {
        db.truncateCatalog();
        DemoCatalog.seedIfEmpty(db.dataSource());
        gateway = TestGateway.start(dir, CatalogLimits.defaults(), db.dataSource(), grid.get(0), Duration.ofHours(1));
    }

    @AfterEach
    void stopGateway() {
        gateway.close();
    }

    @Test
    void oldAndNewKeysBothCountDuringTheOverlapAndTheOldIsRefusedOnceRetired() throws Exception {
        long before = GridTotals.sum(grid.get(0)).impressions;
        db.sql("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (?, 'k1', ?)", CAMPAIGN, NEW);
        gateway.catalog.refresh();

        // Overlap: the ad servers still on the old key and those already on the new one are both counted.
        assertThat(gateway.get("/i", signed(OLD, impression(BANNER, 3, "old-1", null))).statusCode()).isEqualTo(200);
        assertThat(gateway.get("/i", signed(OLD, impression(BANNER, 3, "old-2", "0"))).statusCode()).isEqualTo(200);
        assertThat(gateway.get("/i", signed(NEW, impression(BANNER, 3, "new-1", "k1"))).statusCode()).isEqualTo(200);
        HttpResponse<String> click = gateway.get("/c", signedClick(NEW, impression(BANNER, 3, "new-2", "k1")));
        assertThat(click.statusCode()).isEqualTo(302);
        // the click's id names the key that signed it (k1), so it stays readable however the keys rotate
        assertThat(click.headers().firstValue("Location").orElse("")).startsWith("https://example.com/landing/7?agclid=");
        // The new key under the old kid (or none) is a bad signature: kid is what picks the key.
        assertThat(gateway.get("/i", signed(NEW, impression(BANNER, 3, "mixed-1", null))).statusCode()).isEqualTo(403);

        db.sql("UPDATE campaign_secret SET retired_at = now() WHERE campaign_id = ? AND kid = '0'", CAMPAIGN);
        gateway.catalog.refresh();

        HttpResponse<String> retired = gateway.get("/i", signed(OLD, impression(BANNER, 3, "old-3", null)));
        assertThat(retired.statusCode()).isEqualTo(403);
        assertThat(retired.body()).contains("retired key");
        assertThat(gateway.get("/i", signed(OLD, impression(BANNER, 3, "old-4", "0"))).statusCode()).isEqualTo(403);
        assertThat(gateway.get("/i", signed(NEW, impression(BANNER, 3, "new-3", "k1"))).statusCode()).isEqualTo(200);

        assertThat(GridTotals.sum(grid.get(0)).impressions - before).as("the 4 impressions answered 200").isEqualTo(4);
        assertThat(GridTotals.sum(grid.get(0)).clicks + GridTotals.sum(grid.get(0)).suspectClicks).as("the click, suspect: no impression was shown first").isEqualTo(1);
        assertThat(eventCount("retired_key")).isEqualTo(2);
    }

    @Test
    void unknownKidIsRefusedAndNotCounted() throws Exception {
        // k1 is a key of another campaign (8), not of banner 7's.
        db.sql("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (8, 'k1', ?)", NEW);
        gateway.catalog.refresh();
        long before = GridTotals.sum(grid.get(0)).impressions;

        HttpResponse<String> unknown = gateway.get("/i", signed(OLD, impression(BANNER, 3, "u-1", "k9")));
        HttpResponse<String> otherCampaignsKid = gateway.get("/i", signed(NEW, impression(BANNER, 3, "u-2", "k1")));

        assertThat(unknown.statusCode()).isEqualTo(403);
        assertThat(unknown.body()).contains("unknown key");
        assertThat(otherCampaignsKid.statusCode()).isEqualTo(403);
        assertThat(GridTotals.sum(grid.get(0)).impressions).isEqualTo(before);
        assertThat(eventCount("unknown_key")).isEqualTo(2);
    }

    @Test
    void saleSignedWithANewKidIsAccepted() throws Exception {
        db.sql("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (?, 'k2', ?)", CAMPAIGN, NEW + "-2");
        gateway.catalog.refresh();
        Map<String, String> sale = new LinkedHashMap<>();
        sale.put("b", Long.toString(BANNER));
        sale.put("p", "3");
        sale.put("order", "o-rotation-1");
        sale.put("amount", "12.50");
        sale.put("ts", Long.toString(System.currentTimeMillis()));
        sale.put("kid", "k2");

        assertThat(gateway.postForm("/s", signed(NEW + "-2", sale)).statusCode()).isEqualTo(202);
        assertThat(gateway.postForm("/s", signed(OLD, sale)).statusCode()).isEqualTo(403);
    }

    private double eventCount(String reason) {
        return gateway.metrics.find("adgrid.gateway.events").tag("reason", reason).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }
}
