package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue "Nothing lost, nothing doubled", fault 1: three members in separate JVMs, steady load,
 * {@code kill -9} of one member mid-load, then every beacon replayed. Clients retry each signed beacon until they get a 2xx
 * (safe: the grid deduplicates), so the expected total is every event exactly once: live, from
 * PostgreSQL after a flush, and in SQL.
 */
class MemberKillIT {

    private static final String TOKEN = "member-kill-token";
    private static final int EVENTS = 6000;

    private final List<AdGridProcess> processes = new ArrayList<>();
    private EmbeddedDatabase database;

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
    void killingAMemberUnderLoadLosesAndDoublesNothing() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        String cluster = "member-kill-" + UUID.randomUUID();
        List<String> grid = List.of("--adgrid.db.url=" + database.settings().url(), "--adgrid.grid.cluster-name=" + cluster,
                "--adgrid.grid.port=" + TestPorts.of(5890), "--adgrid.members=" + TestPorts.members(5890, 3));
        int gatewayPort = AdGridProcess.freePort();
        int reportingPort = AdGridProcess.freePort();
        List<String> runFlags = new ArrayList<>(grid);
        runFlags.addAll(List.of("--adgrid.gateway.port=" + gatewayPort, "--server.port=" + reportingPort,
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-kill"), "--adgrid.demo=true",
                "--adgrid.admin.token=" + TOKEN));
        AdGridProcess all = AdGridProcess.start("run", runFlags);
        processes.add(all);
        String gateway = "http://127.0.0.1:" + gatewayPort;
        String reporting = "http://127.0.0.1:" + reportingPort;
        Wait.until("the all-in-one process answers", Duration.ofMinutes(5), () -> all.assertRunning() && Probes.status(gateway + "/healthz") == 200);
        // Each node its own var dir (journal root): a root belongs to one database, and ./var would be shared across runs.
        AdGridProcess victim = AdGridProcess.start("node", withVarDir(grid, "adgrid-kill-node"));
        processes.add(victim);
        processes.add(AdGridProcess.start("node", withVarDir(grid, "adgrid-kill-node")));
        Wait.until("three members", Duration.ofMinutes(5), () -> Probes.dataMembers(reporting) == 3);

        long now = System.currentTimeMillis();
        AtomicInteger sent = new AtomicInteger();
        AtomicLong retries = new AtomicLong();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> done = sendAll(clients, gateway, now, sent, retries);
        Wait.until("a third of the load sent", Duration.ofSeconds(60), () -> sent.get() >= EVENTS / 3);
        victim.kill();
        for (Future<?> f : done) {
            f.get();
        }
        assertThat(victim.isAlive()).isFalse();

        Wait.until("two members left", Duration.ofSeconds(90), () -> Probes.dataMembers(reporting) == 2);
        assertThat(Probes.impressions(reporting, "live")).isEqualTo(EVENTS);
        // Every beacon once more: replays whose first copy was counted before or across the kill,
        // recognised by the identities the surviving backups kept.
        for (Future<?> f : sendAll(clients, gateway, now, new AtomicInteger(), retries)) {
            f.get();
        }
        clients.shutdown();
        assertThat(Probes.impressions(reporting, "live")).as("after replaying all of them").isEqualTo(EVENTS);
        assertThat(Probes.flush(reporting, TOKEN)).as("admin flush").isEqualTo(200);
        assertThat(Probes.impressions(reporting, "db")).isEqualTo(EVENTS);
        assertThat(Probes.impressions(reporting, "live")).isEqualTo(EVENTS);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(EVENTS);
        System.out.printf("member kill: %d events, %d retries by clients, 0 lost, 0 doubled%n", EVENTS, retries.get());
    }

    /** Each of the 6,000 beacons sent by 8 clients, re-sent until answered 200. */
    private static List<Future<?>> sendAll(ExecutorService clients, String gateway, long now, AtomicInteger sent, AtomicLong retries) {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            done.add(clients.submit(() -> {
                for (int i = thread; i < EVENTS; i += 8) {
                    String url = gateway + "/i?" + Beacons.beacon(1 + i % 1000, 1 + i % 100, now, "kill-" + i);
                    while (Probes.status(url) != 200) {
                        retries.incrementAndGet();
                        sleep(50);
                    }
                    sent.incrementAndGet();
                }
            }));
        }
        return done;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> withVarDir(List<String> flags, String prefix) throws java.io.IOException {
        List<String> out = new ArrayList<>(flags);
        out.add("--adgrid.var-dir=" + TestDirs.temporary(prefix));
        return out;
    }
}
