package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 3: one replay window for the cluster, whatever the other processes' settings and
 * clocks. A data member ({@code adgrid node}, window 15 min back), a gateway configured with a
 * 60-minute window, and a reporting process whose clock runs 7 minutes ahead (libfaketime),
 * each its own JVM. Before, the gateway counted a 30-minute-old beacon, and the reporting
 * process's admin flush made the member forget identities by its own clock; both beacons were
 * counted again when replayed. Now the member decides on its own clock: the old beacon is answered
 * 422 and never counted, the recent one's replay is a duplicate.
 */
class ReplayWindowIT {

    private static final String TOKEN = "window-admin-token";
    /** The reporting process's clock runs this far ahead (tolerated: any skew of non-data members). */
    private static final Duration SKEW = Duration.ofSeconds(420);
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final List<AdGridProcess> processes = new ArrayList<>();
    private EmbeddedDatabase database;

    @BeforeAll
    static void installFaketime() throws Exception {
        SkewedClock.install();
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (AdGridProcess p : processes) {
            p.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void aLongerGatewayWindowAndASkewedFlushCountNoReplayTwice() throws Exception {
        List<String> grid = startDatabase("window", TestPorts.of(6900));
        AdGridProcess node = start(List.of(), "node", grid, "--adgrid.grid.port=" + TestPorts.of(6900));
        AdGridProcess.awaitDataMembers(List.of(node), Duration.ofSeconds(600));
        int gatewayPort = AdGridProcess.freePort();
        AdGridProcess gatewayProcess = start(List.of(), "gateway", grid, "--adgrid.grid.port=" + TestPorts.of(6910),
                "--adgrid.gateway.port=" + gatewayPort, "--adgrid.gateway.max-age=60m",
                // Its overload guard off: on a busy box it may answer 503 (retry later), which is not what this test is about.
                "--adgrid.gateway.max-request-delay=0");
        int reportingPort = AdGridProcess.freePort();
        AdGridProcess reportingProcess = start(SkewedClock.launcher(SKEW),
                "reporting", grid, "--adgrid.grid.port=" + TestPorts.of(6920), "--server.port=" + reportingPort, "--adgrid.admin.token=" + TOKEN);
        String gateway = "http://127.0.0.1:" + gatewayPort;
        String reporting = "http://127.0.0.1:" + reportingPort;
        Wait.until("gateway and reporting answer", Duration.ofSeconds(600), () -> gatewayProcess.assertRunning()
                && reportingProcess.assertRunning() && Probes.status(gateway + "/healthz") == 200
                && Probes.status(reporting + "/actuator/health") == 200);

        assertClockAhead(reporting + "/actuator/health", SKEW);

        long now = System.currentTimeMillis();
        String old = "/i?" + Beacons.beacon(21, 4, now - Duration.ofMinutes(30).toMillis(), "old");
        String recent = "/i?" + Beacons.beacon(22, 4, now - Duration.ofMinutes(12).toMillis(), "recent");
        assertThat(status(gateway + old)).as("a beacon older than the members' window, through a gateway with a longer one")
                .isEqualTo(422);
        assertThat(status(gateway + recent)).isEqualTo(200);
        // The reporting process's flush runs the write-behind on its clock, 7 minutes ahead.
        assertThat(Probes.flush(reporting, TOKEN)).isEqualTo(200);
        assertThat(status(gateway + old)).as("the old beacon replayed").isEqualTo(422);
        assertThat(status(gateway + recent)).as("the recent beacon replayed").isEqualTo(200);

        assertThat(Probes.impressions(reporting, "live")).isEqualTo(1);
        assertThat(Probes.flush(reporting, TOKEN)).isEqualTo(200);
        assertThat(Probes.impressions(reporting, "db")).isEqualTo(1);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(1);
        assertThat(gatewayProcess.log()).contains("differs from the cluster's");
        System.out.printf("replay window: 4 impressions sent (2 beacons, each twice) through a gateway with a 60 min window, "
                + "members 15 min, a flush from a reporting clock %s; 1 acknowledged as counted (the old one 422 twice, the recent "
                + "one's replay a duplicate); 1 live, after flush and in SQL%n", "+" + SKEW.toSeconds() + "s");
    }


    private List<String> startDatabase(String name, int gridPort) throws Exception {
        database = TestDatabase.startDemoServer();
        return List.of("--adgrid.db.url=" + database.settings().url(), "--adgrid.grid.cluster-name=" + name + "-" + UUID.randomUUID(),
                "--adgrid.members=127.0.0.1:" + gridPort, "--adgrid.ops.metrics-port=0",
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-" + name));
    }

    private AdGridProcess start(List<String> launcher, String role, List<String> common, String... flags) throws Exception {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(flags));
        AdGridProcess p = AdGridProcess.start(launcher, List.of(), role, all);
        processes.add(p);
        return p;
    }

    /**
     * Asserts that the process's clock runs {@code skew} ahead of this JVM's: its HTTP {@code Date} (whole
     * seconds) was taken between this clock's readings before and after the request, which bounds the skew
     * whatever the request's duration on a busy box.
     */
    private static void assertClockAhead(String url, Duration skew) throws Exception {
        Instant before = Instant.now();
        HttpResponse<Void> r = http.send(Beacons.request(URI.create(url)).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.discarding());
        Instant after = Instant.now();
        String date = r.headers().firstValue("Date").orElseThrow();
        Instant theirs = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        assertThat(skew).as("the skew of a clock that said %s between %s and %s", date, before, after)
                .isBetween(Duration.between(after, theirs), Duration.between(before, theirs.plusSeconds(1)));
    }

    private static int status(String url) throws Exception {
        return http.send(Beacons.request(URI.create(url)).timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
