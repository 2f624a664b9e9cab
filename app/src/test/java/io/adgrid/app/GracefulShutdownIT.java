package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * CONTRACT section 1 on a real process: {@code adgrid run} started from the executable jar, as a
 * new user starts it. Its first requests, sent while the JVM is cold and the box busy, are answered,
 * never shed: a slow first request is not overload. Then SIGTERM: everything it answered 2xx for
 * must be in PostgreSQL when the process has exited, although the write-behind interval is far
 * longer than the test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GracefulShutdownIT {

    private static final int CLIENTS = 8;
    private static final int BEACONS = 300;

    private static EmbeddedDatabase database;
    private static AdGridProcess adgrid;
    private static String gateway;
    private static final AtomicInteger accepted = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        int gatewayPort = AdGridProcess.freePort();
        adgrid = AdGridProcess.start("run", List.of(
                "--adgrid.db.url=" + database.settings().url(),
                "--adgrid.grid.cluster-name=sigterm-" + UUID.randomUUID(),
                "--adgrid.grid.port=" + TestPorts.of(5880), "--adgrid.members=" + TestPorts.members(5880, 1),
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + AdGridProcess.freePort(),
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-sigterm"),
                "--adgrid.demo=true",
                // The longest the settings allow, far longer than the test: only the shutdown itself can write the counts.
                "--adgrid.write-behind.interval=10m"));
        gateway = "http://127.0.0.1:" + gatewayPort;
        Wait.until("the gateway answers /healthz", Duration.ofMinutes(5), () -> adgrid.assertRunning() && Probes.status(gateway + "/healthz") == 200);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (adgrid != null) {
            adgrid.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    @Order(1)
    void eightSequentialClientsRightAfterStartOnABusyBoxGetNo503() throws Exception {
        AtomicBoolean hogging = new AtomicBoolean(true);
        Thread hog = new Thread(() -> { // another core busy, as with a neighbour's build
            long x = 0;
            while (hogging.get()) {
                x = x * 31 + 7;
            }
            if (x == 42) {
                System.out.print("");
            }
        }, "cpu-hog");
        hog.setDaemon(true);
        hog.start();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        long now = System.currentTimeMillis();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    for (int i = client; i < BEACONS; i += CLIENTS) { // one request at a time per client
                        int status = Probes.status(gateway + "/i?" + Beacons.beacon(1 + i % 50, 1 + i % 5, now, "sigterm-" + i));
                        statuses.merge(status, 1, Integer::sum);
                        if (status == 200) {
                            accepted.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
            hogging.set(false);
        }
        assertThat(statuses).as("statuses of the first %d requests", BEACONS).containsExactly(Map.entry(200, BEACONS));
        assertThat(adgrid.log()).doesNotContain("gateway overloaded");
    }

    @Test
    @Order(2)
    void sigtermWritesEveryAcceptedEventToPostgreSqlBeforeExit() throws Exception {
        assertThat(accepted.get()).as("answered 2xx by the first test").isPositive();
        assertThat(Probes.sqlImpressions(database.settings())).as("nothing written yet: the write-behind waits an hour").isZero();

        assertThat(adgrid.terminate(120)).as("exited within 120 s of SIGTERM").isTrue();
        assertThat(adgrid.log()).contains("flushed");
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(accepted.get());
    }
}
