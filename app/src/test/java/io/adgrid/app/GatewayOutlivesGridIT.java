package io.adgrid.app;

import static io.adgrid.app.ProcessCluster.dataMembers;
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
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 2: a separate {@code adgrid gateway} stays up while every data member is killed
 * (SIGKILL) under load from retrying clients, and the members are started again on their journal
 * directories. The gateway's gate must fail closed while no member answers, and the members refuse
 * counting batches (the gateway's own re-sends included) until the dead life's journals are
 * replayed: every impression answered 2xx is counted once, live, after a flush and in SQL.
 */
class GatewayOutlivesGridIT {

    private static final String TOKEN = "gateway-outlives-token";
    private static final int CLIENTS = 6;
    /**
     * The gateway and the restarted members form separate clusters until Hazelcast's split-brain check
     * merges them (the product's default: every 15 s); checking every 3 s rejoins sooner, and changes
     * nothing the test asserts.
     */
    private static final List<String> PROMPT_MERGE = List.of("-Dhazelcast.merge.first.run.delay.seconds=3",
            "-Dhazelcast.merge.next.run.delay.seconds=3");

    private final ProcessCluster cluster = new ProcessCluster();

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    @Test
    void aGatewayThatOutlivesEveryMemberCountsNothingTwice() throws Exception {
        EmbeddedDatabase database = cluster.startDatabase();
        List<String> grid = List.of("--adgrid.db.url=" + database.settings().url(),
                "--adgrid.grid.cluster-name=outlives-" + UUID.randomUUID(),
                "--adgrid.members=" + TestPorts.members(7740, 2), "--adgrid.ops.metrics-port=0",
                "--adgrid.write-behind.interval=20s", "--adgrid.var-dir=" + TestDirs.temporary("adgrid-outlives"));
        List<AdGridProcess> nodes = startNodes(grid);
        int gatewayPort = AdGridProcess.freePort();
        List<String> gatewayFlags = new ArrayList<>(grid);
        gatewayFlags.addAll(List.of("--adgrid.grid.port=" + TestPorts.of(7745), "--adgrid.gateway.port=" + gatewayPort));
        AdGridProcess gatewayProcess = cluster.start(PROMPT_MERGE, "gateway", gatewayFlags);
        String gateway = "http://127.0.0.1:" + gatewayPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(180),
                () -> gatewayProcess.assertRunning() && Probes.status(gateway + "/healthz") == 200);

        List<String> reportingFlags = new ArrayList<>(grid);
        reportingFlags.addAll(List.of("--adgrid.grid.port=" + TestPorts.of(7746), "--server.port=0", "--adgrid.admin.token=" + TOKEN));
        cluster.startReporting(reportingFlags);
        HazelcastInstance view = cluster.view();
        String reportingUrl = cluster.reportingUrl();

        RetryingClients clients = cluster.startClients(gateway, CLIENTS, "outlives");
        Wait.until("load before the kill", Duration.ofSeconds(120), () -> clients.sent() >= 1_000);
        AdGridProcess.killAll(nodes);
        long acknowledgedAtKill = clients.sent();
        Wait.until("the gateway, alone, says DOWN", Duration.ofSeconds(60), () -> Probes.status(gateway + "/healthz") == 503);

        List<AdGridProcess> restarted = startNodes(grid);
        Wait.until("the gateway counts again (journals replayed)", Duration.ofSeconds(240),
                () -> gatewayProcess.assertRunning() && restarted.stream().allMatch(AdGridProcess::assertRunning)
                        && Probes.status(gateway + "/healthz") == 200);
        long afterRestart = clients.sent();
        Wait.until("load after the restart", Duration.ofSeconds(120), () -> clients.sent() >= afterRestart + 400);
        clients.stop();
        Wait.until("reporting sees the new grid", Duration.ofSeconds(180),
                () -> dataMembers(view) == 2);

        long expected = clients.sent();
        assertThat(clients.otherAnswers()).as("answers other than 2xx and 503 with Retry-After").isEmpty();
        assertThat(Probes.impressions(reportingUrl, "live")).isEqualTo(expected);
        assertThat(Probes.flush(reportingUrl, TOKEN)).as("admin flush").isEqualTo(200);
        assertThat(Probes.impressions(reportingUrl, "db")).isEqualTo(expected);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(expected);
        System.out.printf("gateway outlives the grid: %d impressions acknowledged, %d of them before both members got SIGKILL; "
                        + "%d counted live, after flush and in SQL; %d retries after a 503 or no answer%n",
                expected, acknowledgedAtKill, expected, clients.retriedWithRetryAfter() + clients.noAnswer());
    }

    private List<AdGridProcess> startNodes(List<String> grid) throws Exception {
        List<AdGridProcess> started = new ArrayList<>();
        for (int n = 0; n < 2; n++) {
            List<String> flags = new ArrayList<>(grid);
            flags.add("--adgrid.grid.port=" + TestPorts.of(7740));
            started.add(cluster.start(PROMPT_MERGE, "node", flags));
        }
        AdGridProcess.awaitDataMembers(started, Duration.ofSeconds(180));
        return started;
    }
}
