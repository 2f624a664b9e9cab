package io.adgrid.gateway.catalog;

import static io.adgrid.gateway.catalog.TestGateway.impression;
import static io.adgrid.gateway.catalog.TestGateway.signed;
import static io.adgrid.gateway.catalog.TestGateway.signedClick;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.TestPorts;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.catalog.SenderKeys;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.RequestSignature;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.GridTotals;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart with the database down: a gateway that loaded the catalog once keeps it in its Chronicle
 * Map files, so a new gateway process on the same files validates and counts signed beacons while
 * PostgreSQL is stopped, and keeps trying the database in the background.
 */
class RestartWithoutDatabaseIT {

    @TempDir
    Path dir;
    private List<HazelcastInstance> grid;
    private TestDatabase db;
    private HikariDataSource deadPool;
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (deadPool != null) {
            deadPool.close();
        }
        if (db != null) {
            db.close();
        }
        if (grid != null) {
            TestGrid.terminate(grid);
        }
    }

    @Test
    void gatewayRestartedWhilePostgresIsDownValidatesFromTheCatalogFile() throws Exception {
        grid = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestPorts.of(6000)), 1);
        db = TestDatabase.start();
        DemoCatalog.seedIfEmpty(db.dataSource());
        db.sql("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (3, 'k1', 'rotated-secret-3')");
        gateway = TestGateway.start(dir, CatalogLimits.defaults(), db.dataSource(), grid.get(0), Duration.ofMillis(500));
        assertThat(gateway.get("/i", signed("demo-secret-1", impression(1, 1, "before", null))).statusCode()).isEqualTo(200);
        String senderSecret = new SenderKeys(db.dataSource()).create("restart-sender", null, List.of(1L)).secret().value();
        String signedBefore = line(1, "signed-before");
        Wait.until("the gateway knows the sender key", Duration.ofSeconds(60),
                () -> postSigned(senderSecret, signedBefore) == 200);
        DatabaseSettings settings = db.settings();

        gateway.close();
        gateway = null;
        db.close();
        db = null;

        deadPool = Database.pool(settings, "dead-db", 2);
        gateway = TestGateway.start(dir, CatalogLimits.defaults(), deadPool, grid.get(0), Duration.ofMillis(500));

        assertThat(gateway.catalog.isLoaded()).as("ready from the file").isTrue();
        assertThat(gateway.get("/i", signed("demo-secret-1", impression(1, 1, "after", null))).statusCode()).isEqualTo(200);
        assertThat(gateway.get("/i", signed("rotated-secret-3", impression(3, 2, "after-k1", "k1"))).statusCode()).isEqualTo(200);
        HttpCheck click = new HttpCheck(gateway.get("/c", signedClick("demo-secret-7", impression(17, 5, "after-click", null))));
        assertThat(click.status).isEqualTo(302);
        assertThat(click.location).startsWith("https://example.com/landing/17?agclid=");
        assertThat(gateway.get("/i", signed("demo-secret-9", impression(1, 1, "forged", null))).statusCode()).isEqualTo(403);
        assertThat(postSigned(senderSecret, line(1, "signed-after"))).as("a request-signed body: the sender key is in the catalog directory")
                .isEqualTo(200);
        Wait.until("a refresh against the stopped database failed and was counted", Duration.ofSeconds(60),
                () -> gateway.refreshFailures("source_unavailable") >= 1);
        assertThat(gateway.get("/i", signed("demo-secret-2", impression(2, 1, "still", null))).statusCode()).isEqualTo(200);

        assertThat(GridTotals.sum(grid.get(0)).impressions).isEqualTo(6);
        assertThat(GridTotals.sum(grid.get(0)).clicks + GridTotals.sum(grid.get(0)).suspectClicks).as("the click, suspect: no impression was shown first").isEqualTo(1);
    }

    private static String line(long banner, String nonce) {
        return "{\"type\":\"i\",\"b\":" + banner + ",\"p\":1,\"ts\":" + System.currentTimeMillis() + ",\"n\":\"" + nonce + "\"}\n";
    }

    /** The status of a POST /events of {@code body} signed whole with the sender key restart-sender. */
    private int postSigned(String secret, String body) {
        try {
            return gateway.postEvents(body, RequestSignature.header(BeaconSigner.key(secret), "POST", "/events", "restart-sender",
                    System.currentTimeMillis(), body.getBytes(StandardCharsets.UTF_8))).statusCode();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private record HttpCheck(int status, String location) {
        HttpCheck(java.net.http.HttpResponse<String> r) {
            this(r.statusCode(), r.headers().firstValue("Location").orElse(null));
        }
    }
}
