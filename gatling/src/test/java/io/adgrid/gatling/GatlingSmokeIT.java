package io.adgrid.gatling;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import io.adgrid.app.AdGrid;
import io.adgrid.app.config.Role;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.gatling.exactness.Verdict;
import io.adgrid.gatling.exactness.Verdicts;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs {@link SmokeSimulation} with Gatling in this JVM against a whole AdGrid started in-process the way
 * EndToEndIT starts it (temporary PostgreSQL, private cluster, ports 0), so the simulations, the signer and
 * the exactness check are exercised by every {@code mvn verify}. Fails when Gatling reports a failed
 * assertion or the exactness verdict is not a pass. No timing assertion: {@code p99Ms=0}.
 */
class GatlingSmokeIT {

    private static final String TOKEN = "gatling-smoke-admin-token";
    private static final int GRID_PORT = 5820;

    private static EmbeddedDatabase database;
    private static ConfigurableApplicationContext app;
    private static String gateway;
    private static String reporting;

    @BeforeAll
    static void startAdGrid() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        app = AdGrid.start(Role.RUN,
                "--adgrid.db.url=" + database.settings().url(),
                "--adgrid.db.user=postgres",
                "--adgrid.grid.cluster-name=gatling-smoke-" + UUID.randomUUID(),
                "--adgrid.grid.port=" + GRID_PORT,
                "--adgrid.members=127.0.0.1:" + GRID_PORT,
                "--adgrid.gateway.port=0",
                "--server.port=0",
                "--adgrid.var-dir=" + Files.createTempDirectory("adgrid-gatling-smoke"),
                "--adgrid.demo=true",
                "--adgrid.admin.token=" + TOKEN);
        gateway = "http://127.0.0.1:" + app.getBean(GatewayServer.class).port();
        reporting = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    static void stopAdGrid() {
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void smokeSimulationPassesItsAssertionsAndCountsExactlyWhatGotA2xx() throws Exception {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("baseUrl", gateway);
        props.put("reportingUrl", reporting);
        props.put("adminToken", TOKEN);
        props.put("rate", "20");
        props.put("duration", "10");
        props.put("p99Ms", "0");
        Path results = Path.of("target", "gatling-it").toAbsolutePath();
        props.put("reportDir", results.resolve("adgrid-reports").toString());
        props.forEach(System::setProperty);
        int status;
        try {
            status = io.gatling.app.Gatling$.MODULE$.fromArgs(new String[] {
                "--simulation", SmokeSimulation.class.getName(),
                "--results-folder", results.toString(),
                "--run-description", "GatlingSmokeIT"});
        } finally {
            props.keySet().forEach(System::clearProperty);
        }

        Verdict verdict = Verdicts.last(SmokeSimulation.class.getName()).orElseThrow(
                () -> new AssertionError("the smoke simulation never reached its exactness check (Gatling status " + status + ")"));
        assertThat(verdict.problems()).as(verdict.table()).isEmpty();
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.acceptedEvents()).as("distinct events that got a 2xx").isGreaterThan(50);
        assertThat(verdict.comparisons()).as("stats answers compared: 11 targets x 3 moments").isEqualTo(33);
        assertThat(status).as("Gatling's exit status (0: all assertions passed, 2: an assertion failed)").isZero();
    }
}
