package io.adgrid.app;

import static io.adgrid.app.ProcessCluster.dataMembers;
import static io.adgrid.app.ProcessCluster.safe;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue "Nothing lost, nothing doubled", fault 2: a rolling restart under load. Three data members
 * ({@code adgrid node}, separate JVMs from the jar) are stopped with SIGTERM and started again one
 * after the other, waiting between steps for three members and a safe cluster, while retrying
 * clients send impressions through one {@code adgrid gateway} process (a lite member: it holds no
 * data, so it stays up, as a gateway fleet behind a load balancer would while the data members
 * roll). Reporting runs in the test JVM (another lite member). Every event is then counted once,
 * live, from PostgreSQL after a flush, and in SQL; the only non-2xx answer allowed is a 503 with
 * {@code Retry-After}.
 */
@Tag("faults") // -Pfaults only: a variant of MemberKillIT (every member in turn)
class RollingRestartIT {

    private static final String TOKEN = "rolling-restart-token";
    private static final int CLIENTS = 6;
    /** Events sent before each step and after the last one, so that every step happens under load. */
    private static final int EVENTS_PER_STEP = 600;

    private final ProcessCluster cluster = new ProcessCluster();

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    @Test
    void restartingEveryMemberInTurnUnderLoadLosesAndDoublesNothing() throws Exception {
        long started = System.nanoTime();
        EmbeddedDatabase database = cluster.startDatabase();
        String clusterName = "rolling-" + UUID.randomUUID();
        List<String> grid = List.of("--adgrid.db.url=" + database.settings().url(), "--adgrid.grid.cluster-name=" + clusterName,
                "--adgrid.members=" + TestPorts.members(6300, 3),
                "--adgrid.ops.metrics-port=0", "--adgrid.var-dir=" + TestDirs.temporary("adgrid-rolling"));
        AdGridProcess[] nodes = new AdGridProcess[3];
        for (int n = 0; n < 3; n++) {
            nodes[n] = node(grid);
        }
        // The lite members join once the data members have formed their cluster: a lite member that
        // starts first forms a cluster of its own, which Hazelcast merges only after its merge delay.
        AdGridProcess.awaitDataMembers(List.of(nodes), Duration.ofSeconds(180));
        int gatewayPort = AdGridProcess.freePort();
        // Lite members take their grid port from 6310 up, so that the data members keep 6300..6302.
        List<String> gatewayFlags = new ArrayList<>(grid);
        gatewayFlags.addAll(List.of("--adgrid.grid.port=" + TestPorts.of(6310), "--adgrid.gateway.port=" + gatewayPort));
        AdGridProcess gatewayProcess = cluster.start("gateway", gatewayFlags);
        List<String> reportingFlags = new ArrayList<>(grid);
        reportingFlags.addAll(List.of("--adgrid.grid.port=" + TestPorts.of(6310), "--server.port=0", "--adgrid.admin.token=" + TOKEN));
        cluster.startReporting(reportingFlags);
        HazelcastInstance view = cluster.view();
        String reportingUrl = cluster.reportingUrl();
        String gateway = "http://127.0.0.1:" + gatewayPort;

        Wait.until("three data members and a safe cluster", Duration.ofSeconds(180), () -> dataMembers(view) == 3 && safe(view));
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(180),
                () -> gatewayProcess.assertRunning() && Probes.status(gateway + "/healthz") == 200);

        RetryingClients clients = cluster.startClients(gateway, CLIENTS, "roll");
        List<String> steps = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            long before = clients.sent();
            Wait.until("load before step " + (n + 1), Duration.ofSeconds(60), () -> clients.sent() >= before + EVENTS_PER_STEP);
            long stepStart = System.nanoTime();
            assertThat(nodes[n].terminate(60)).as("member %d exited within 60 s of SIGTERM", n + 1).isTrue();
            assertThat(nodes[n].log()).as("member %d wrote its entries before leaving", n + 1).contains("flushed");
            Wait.until("two data members after stopping member " + (n + 1), Duration.ofSeconds(60), () -> dataMembers(view) == 2);
            AdGridProcess restarted = node(grid);
            nodes[n] = restarted;
            Wait.until("three data members and a safe cluster after restarting member " + (n + 1), Duration.ofSeconds(180),
                    () -> restarted.assertRunning() && dataMembers(view) == 3 && safe(view));
            steps.add(String.format("member %d: %.1f s", n + 1, (System.nanoTime() - stepStart) / 1e9));
        }
        long afterRoll = clients.sent();
        Wait.until("load after the roll", Duration.ofSeconds(60), () -> clients.sent() >= afterRoll + EVENTS_PER_STEP);
        clients.stop();
        assertThat(gatewayProcess.isAlive()).as("the gateway process stayed up").isTrue();

        long expected = clients.sent();
        assertThat(clients.noAnswer()).as("requests the gateway left unanswered (it never stopped)").isZero();
        assertThat(clients.otherAnswers()).as("answers other than 2xx and 503 with Retry-After").isEmpty();
        assertThat(Probes.impressions(reportingUrl, "live")).isEqualTo(expected);
        assertThat(Probes.flush(reportingUrl, TOKEN)).as("admin flush").isEqualTo(200);
        assertThat(Probes.impressions(reportingUrl, "db")).isEqualTo(expected);
        assertThat(Probes.impressions(reportingUrl, "live")).isEqualTo(expected);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(expected);
        System.out.printf("rolling restart: %d events sent by %d clients, %d counted (live, db after flush, SQL), 0 lost, 0 doubled; "
                        + "%d answers were 503 with Retry-After (retried; at most %d for one event, 200 ms apart), 0 other non-2xx; "
                        + "steps (SIGTERM to three members and safe again) %s; %.0f s in all%n",
                expected, CLIENTS, expected, clients.retriedWithRetryAfter(), clients.mostRetriesOfOneEvent(), steps, (System.nanoTime() - started) / 1e9);
    }

    private AdGridProcess node(List<String> grid) throws Exception {
        List<String> flags = new ArrayList<>(grid);
        flags.add("--adgrid.grid.port=" + TestPorts.of(6300));
        AdGridProcess p = cluster.start("node", flags);
        System.out.println("rolling restart: node log " + p.logFile());
        return p;
    }
}
