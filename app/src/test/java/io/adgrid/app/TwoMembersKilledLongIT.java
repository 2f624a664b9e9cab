package io.adgrid.app;

import static io.adgrid.app.ProcessCluster.dataMembers;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.HazelcastInstance;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 5: a partition's owner and its backup killed together while other members live.
 * Four data members ({@code adgrid node}, separate JVMs, each on its own journal root as on its own
 * volume) and an {@code adgrid gateway} take impressions from retrying clients; the write-behind runs
 * every 20 s, so many acknowledged counts are only in memory (and journals) when two members get
 * SIGKILL at once. With one backup, the partitions both of them held are lost to Hazelcast. The two
 * are started again on their own journal roots: their journals' slices of the lost partitions must
 * come back (counts PostgreSQL lacks, identities), and until then those partitions must not count.
 * Every impression answered 2xx is counted once, live, after a flush and in SQL, and every one of
 * them sent again afterwards is answered as a duplicate. Profile {@code faults} (six JVMs).
 */
class TwoMembersKilledLongIT {

    private static final String TOKEN = "two-killed-token";
    private static final int CLIENTS = 6;
    private static final int EVENTS_BEFORE_KILL = 1_500;
    private static final int EVENTS_AFTER_RESTART = 600;
    /** Grid ports of this test (9100-9199): members from 9100, the gateway's and reporting's lite members. */
    private static final int MEMBER_PORT = TestPorts.of(9100);
    private static final String MEMBERS = TestPorts.members(9100, 4);
    private static final int GATEWAY_GRID_PORT = TestPorts.of(9110);
    private static final int REPORTING_GRID_PORT = TestPorts.of(9120);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProcessCluster cluster = new ProcessCluster();

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    @Test
    void killingAPartitionsOwnerAndBackupTogetherLosesAndDoublesNothing() throws Exception {
        long started = System.nanoTime();
        EmbeddedDatabase database = cluster.startDatabase();
        String clusterName = "two-killed-" + UUID.randomUUID();
        List<String> grid = List.of("--adgrid.db.url=" + database.settings().url(), "--adgrid.grid.cluster-name=" + clusterName,
                "--adgrid.members=" + MEMBERS, "--adgrid.ops.metrics-port=0", "--adgrid.write-behind.interval=20s");
        List<Path> varDirs = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            varDirs.add(TestDirs.temporary("adgrid-two-killed-" + n));
        }
        List<AdGridProcess> nodes = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            nodes.add(startNode(grid, varDirs.get(n)));
        }
        AdGridProcess.awaitDataMembers(nodes, Duration.ofSeconds(600));
        // A free port from the OS: a fixed one in the ephemeral range can be any outgoing connection's.
        int gatewayPort = AdGridProcess.freePort();
        List<String> gatewayFlags = new ArrayList<>(grid);
        gatewayFlags.addAll(List.of("--adgrid.grid.port=" + GATEWAY_GRID_PORT, "--adgrid.gateway.port=" + gatewayPort,
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-two-killed-gw")));
        AdGridProcess gatewayProcess = cluster.start("gateway", gatewayFlags);
        String gateway = "http://127.0.0.1:" + gatewayPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(600),
                () -> gatewayProcess.assertRunning() && Probes.status(gateway + "/healthz") == 200);

        List<String> reportingFlags = new ArrayList<>(grid);
        reportingFlags.addAll(List.of("--adgrid.grid.port=" + REPORTING_GRID_PORT, "--server.port=0", "--adgrid.admin.token=" + TOKEN,
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-two-killed-rep")));
        cluster.startReporting(reportingFlags);
        HazelcastInstance view = cluster.view();
        String reportingUrl = cluster.reportingUrl();
        Set<Integer> lostPartitions = ConcurrentHashMap.newKeySet();
        view.getPartitionService().addPartitionLostListener(e -> {
            if (e.getLostBackupCount() >= 1) {
                lostPartitions.add(e.getPartitionId());
            }
        });

        RetryingClients clients = cluster.startClients(gateway, CLIENTS, "two-killed");
        Wait.until("load before the kill", Duration.ofSeconds(180), () -> clients.sent() >= EVENTS_BEFORE_KILL);
        long inPostgresBeforeKill = Probes.sqlImpressions(database.settings());
        // Any two of four members together hold both replicas of some partitions (backup count 1).
        AdGridProcess.killAll(List.of(nodes.get(0), nodes.get(1)));
        List<String> acknowledgedAtKill = clients.acknowledged();
        long killedAt = System.nanoTime();
        Wait.until("partitions reported lost", Duration.ofSeconds(120), () -> !lostPartitions.isEmpty());
        int inLostPartitions = 0;
        for (String query : acknowledgedAtKill) {
            long banner = Long.parseLong(new QueryStringDecoder(query, false).parameters().get("b").get(0));
            if (lostPartitions.contains(view.getPartitionService().getPartition(RouteKeys.banner(banner)).getPartitionId())) {
                inLostPartitions++;
            }
        }

        // The two come back on their own journal roots (a StatefulSet's volumes).
        List<AdGridProcess> restarted = List.of(startNode(grid, varDirs.get(0)), startNode(grid, varDirs.get(1)));
        AdGridProcess.awaitDataMembers(List.of(restarted.get(0), restarted.get(1), nodes.get(2), nodes.get(3)), Duration.ofSeconds(600));
        double restartedSeconds = (System.nanoTime() - killedAt) / 1e9;
        long afterRestart = clients.sent();
        Wait.until("load after the restart", Duration.ofSeconds(600), () -> clients.sent() >= afterRestart + EVENTS_AFTER_RESTART);
        clients.stop();
        Wait.until("reporting sees four data members", Duration.ofSeconds(180),
                () -> dataMembers(view) == 4);

        long expected = clients.sent();
        long live = Probes.impressions(reportingUrl, "live");
        // Every impression acknowledged before the kill, sent again in /events batches: each a duplicate.
        int resent = 0;
        int duplicates = 0;
        int resendStatusOther = 0;
        HttpClient http = HttpClient.newHttpClient();
        for (int from = 0; from < acknowledgedAtKill.size(); from += 1_000) {
            StringBuilder ndjson = new StringBuilder();
            List<String> chunk = acknowledgedAtKill.subList(from, Math.min(acknowledgedAtKill.size(), from + 1_000));
            for (String query : chunk) {
                Map<String, Object> line = new TreeMap<>();
                new QueryStringDecoder(query, false).parameters().forEach((k, v) -> line.put(k, v.get(0)));
                line.put("type", "impression");
                ndjson.append(JSON.writeValueAsString(line)).append('\n');
            }
            HttpResponse<String> answer = resend(http, gateway, ndjson.toString());
            if (answer.statusCode() != 200) {
                resendStatusOther++;
                continue;
            }
            JsonNode summary = JSON.readTree(answer.body());
            resent += chunk.size();
            duplicates += summary.get("duplicates").asInt();
        }
        long liveAfterResend = Probes.impressions(reportingUrl, "live");
        int flush = Probes.flush(reportingUrl, TOKEN);
        long db = Probes.impressions(reportingUrl, "db");
        long sql = Probes.sqlImpressions(database.settings());
        System.out.printf("two members killed: %d lost partitions; %d impressions acknowledged (sent) by %d clients, %d when 2 of 4 "
                        + "members got SIGKILL (%d of them in lost partitions, %d of all in PostgreSQL then); members back %.1f s after "
                        + "the kill; counted live %d, after re-sending the %d acknowledged at the kill (%d answered duplicate, %d "
                        + "requests not 200) live %d; flush %d; db %d; SQL %d; %d retries after a 503 with Retry-After, %d without an "
                        + "answer; %.0f s in all%n",
                lostPartitions.size(), expected, CLIENTS, acknowledgedAtKill.size(), inLostPartitions, inPostgresBeforeKill,
                restartedSeconds, live, resent, duplicates, resendStatusOther, liveAfterResend, flush, db, sql,
                clients.retriedWithRetryAfter(), clients.noAnswer(), (System.nanoTime() - started) / 1e9);

        assertThat(lostPartitions).as("partitions whose owner and backup were both killed").isNotEmpty();
        assertThat(inLostPartitions).as("acknowledged impressions in lost partitions").isPositive();
        assertThat(clients.otherAnswers()).as("answers other than 2xx and 503 with Retry-After").isEmpty();
        assertThat(live).as("impressions counted live").isEqualTo(expected);
        assertThat(resendStatusOther).as("re-send requests not answered 200").isZero();
        assertThat(duplicates).as("acknowledged impressions sent again, answered as duplicates").isEqualTo(acknowledgedAtKill.size());
        assertThat(liveAfterResend).as("impressions counted live after the re-send").isEqualTo(expected);
        assertThat(flush).as("admin flush").isEqualTo(200);
        assertThat(db).as("impressions in PostgreSQL after the flush (source=db)").isEqualTo(expected);
        assertThat(sql).as("impressions in SQL").isEqualTo(expected);
    }

    private AdGridProcess startNode(List<String> grid, Path varDir) throws Exception {
        List<String> flags = new ArrayList<>(grid);
        flags.addAll(List.of("--adgrid.grid.port=" + MEMBER_PORT, "--adgrid.var-dir=" + varDir));
        // Registered at once: a test that fails below must not leave members running into the next one.
        return cluster.start("node", flags);
    }

    /** Posts one /events batch, again while the answer is a 503 (the grid may still be recovering). */
    private static HttpResponse<String> resend(HttpClient http, String gateway, String ndjson) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            HttpResponse<String> answer = http.send(Beacons.request(URI.create(gateway + "/events")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(ndjson)).build(), HttpResponse.BodyHandlers.ofString());
            boolean retry = answer.statusCode() == 503 || answer.body().contains("\"status\":503");
            if (!retry || System.nanoTime() > deadline) {
                return answer;
            }
            Thread.sleep(500);
        }
    }
}
