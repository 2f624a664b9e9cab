package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import io.adgrid.app.metrics.MetricsHttpServer;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.app.config.Role;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 26, item 1: health tells the truth. With PostgreSQL stopped, {@code run}'s readiness and
 * {@code /actuator/health} are DOWN (naming the database) while liveness stays UP; a node's
 * readiness (its member runs) stays UP though its overall health shows the database DOWN.
 */
class HealthIT {

    private static final int GRID_PORT = TestPorts.of(5884);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private EmbeddedDatabase database;
    private InProcessAdGrid app;
    private ConfigurableApplicationContext node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void readinessIsDownWhilePostgreSqlIsStoppedAndLivenessStaysUp() throws Exception {
        Path data = TestDirs.temporary("adgrid-health");
        database = EmbeddedDatabase.start(data, 0);
        int port = database.port();
        app = InProcessAdGrid.start(database.settings(), "health", GRID_PORT);
        String clusterName = app.context.getEnvironment().getProperty("adgrid.grid.cluster-name");
        node = AdGrid.start(Role.NODE, "--adgrid.db.url=" + database.settings().url(), "--adgrid.db.user=" + database.settings().user(),
                "--adgrid.db.password=" + database.settings().password(), "--adgrid.grid.cluster-name=" + clusterName, "--adgrid.grid.port=" + (GRID_PORT + 1),
                "--adgrid.members=127.0.0.1:" + GRID_PORT + ",127.0.0.1:" + (GRID_PORT + 1), "--adgrid.ops.metrics-port=0",
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-health-node"));
        String reporting = app.reporting;
        String nodeMetrics = "http://127.0.0.1:" + node.getBean(MetricsHttpServer.class).port();

        Wait.until("run is ready", Duration.ofSeconds(60), () -> get(reporting + "/actuator/health/readiness").status == 200);
        JsonNode ready = get(reporting + "/actuator/health/readiness").json;
        assertThat(ready.get("components").fieldNames()).toIterable()
                .containsExactlyInAnyOrder("readinessState", "database", "catalog", "gridQuorum", "recovery");
        Answer liveness = get(reporting + "/actuator/health/liveness");
        assertThat(liveness.status).isEqualTo(200);
        assertThat(liveness.json.toString()).doesNotContain("database", "gridQuorum");
        assertThat(get(nodeMetrics + "/actuator/health/readiness").status).isEqualTo(200);
        assertThat(get(nodeMetrics + "/actuator/health").json.at("/components/database/status").asText()).isEqualTo("UP");

        database.close();
        database = null;

        Answer readiness = get(reporting + "/actuator/health/readiness");
        assertThat(readiness.status).isEqualTo(503);
        assertThat(readiness.json.get("status").asText()).isEqualTo("DOWN");
        assertThat(readiness.json.at("/components/database/status").asText()).isEqualTo("DOWN");
        assertThat(readiness.json.at("/components/gridQuorum/status").asText()).isEqualTo("UP");
        Answer health = get(reporting + "/actuator/health");
        assertThat(health.status).isEqualTo(503);
        assertThat(health.json.at("/components/database/details/reason").asText()).contains("PostgreSQL");
        assertThat(get(reporting + "/actuator/health/liveness").status).as("liveness is the process only").isEqualTo(200);
        // A node keeps counting without PostgreSQL (its write-behind retries): still ready, but its health says why it is not well.
        assertThat(get(nodeMetrics + "/actuator/health/readiness").status).isEqualTo(200);
        Answer nodeHealth = get(nodeMetrics + "/actuator/health");
        assertThat(nodeHealth.status).isEqualTo(503);
        assertThat(nodeHealth.json.at("/components/database/status").asText()).isEqualTo("DOWN");

        database = EmbeddedDatabase.start(data, port);
        Wait.until("ready again once PostgreSQL is back", Duration.ofSeconds(60),
                () -> get(reporting + "/actuator/health/readiness").status == 200);
    }

    private record Answer(int status, JsonNode json) {
    }

    private static Answer get(String url) {
        try {
            HttpResponse<String> r = HTTP.send(Beacons.request(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), JSON.readTree(r.body()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            return new Answer(-1, JSON.missingNode());
        }
    }
}
