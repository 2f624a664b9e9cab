package io.adgrid.gatling;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import io.adgrid.app.AdGrid;
import io.adgrid.app.config.Role;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.gatling.budget.SignalSummary;
import io.adgrid.gatling.exactness.Verdict;
import io.adgrid.gatling.exactness.Verdicts;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs {@link SmokeSimulation} and a short {@link BudgetExhaustionSimulation} with Gatling in this JVM against
 * a whole AdGrid started in-process the way EndToEndIT starts it (temporary PostgreSQL, private cluster,
 * ports 0), so the simulations, the signer, the exactness check and the budget signal's measurement are
 * exercised by every {@code mvn verify}. Fails when Gatling reports a failed assertion, the exactness
 * verdict is not a pass, or a budget trial overshot or never heard "exhausted". No timing assertion:
 * {@code p99Ms=0}, {@code signalP99Ms=0}.
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
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-gatling-smoke"),
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
        int status = gatling(SmokeSimulation.class, Map.of("rate", "20", "duration", "10", "p99Ms", "0"));

        Verdict verdict = Verdicts.last(SmokeSimulation.class.getName()).orElseThrow(
                () -> new AssertionError("the smoke simulation never reached its exactness check (Gatling status " + status + ")"));
        assertThat(verdict.problems()).as(verdict.table()).isEmpty();
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.acceptedEvents()).as("distinct events that got a 2xx").isGreaterThan(50);
        assertThat(verdict.comparisons()).as("stats answers compared: 11 targets x 3 moments").isEqualTo(33);
        assertThat(status).as("Gatling's exit status (0: all assertions passed, 2: an assertion failed)").isZero();
    }

    @Test
    void budgetExhaustionSimulationHearsEveryCrossingAndBillsTheBudgetExactly() throws Exception {
        int trials = 3;
        int status = gatling(BudgetExhaustionSimulation.class, Map.of("campaign", "1", "trials", Integer.toString(trials),
                "rate", "2000", "perRequest", "100", "cross", "1000", "signalP99Ms", "0"));

        SignalSummary summary = SignalSummary.last(BudgetExhaustionSimulation.class.getName()).orElseThrow(
                () -> new AssertionError("the budget simulation never summed up (Gatling status " + status + ")"));
        assertThat(summary.outcomes()).as(summary.table()).hasSize(trials);
        assertThat(summary.outcomes()).as(summary.table()).allSatisfy(o -> {
            assertThat(o.problems()).isEmpty();
            assertThat(o.delayMillis()).isPresent();
            assertThat(o.overshootMicros()).isZero();
            assertThat(o.sent()).isGreaterThanOrEqualTo(1200); // the crossing plus the margin
            assertThat(o.overBudget()).isEqualTo(o.sent() - 1000);
        });
        assertThat(status).as("Gatling's exit status (0: all assertions passed, 2: an assertion failed)").isZero();
    }

    /** Runs a simulation with Gatling in this JVM against the in-process AdGrid; its exit status. */
    private static int gatling(Class<?> simulation, Map<String, String> settings) {
        Map<String, String> props = new LinkedHashMap<>(settings);
        props.put("baseUrl", gateway);
        props.put("reportingUrl", reporting);
        props.put("adminToken", TOKEN);
        Path results = Path.of("target", "gatling-it").toAbsolutePath();
        props.put("reportDir", results.resolve("adgrid-reports").toString());
        props.forEach(System::setProperty);
        try {
            return io.gatling.app.Gatling$.MODULE$.fromArgs(new String[] {
                "--simulation", simulation.getName(),
                "--results-folder", results.toString(),
                "--run-description", "GatlingSmokeIT"});
        } finally {
            props.keySet().forEach(System::clearProperty);
        }
    }
}
