package io.adgrid.gateway.catalog;

import static io.adgrid.gateway.catalog.TestGateway.impression;
import static io.adgrid.gateway.catalog.TestGateway.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.GridTotals;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole catalog reload (the database is new or restored, so the gateway's version means nothing
 * to it) while valid beacons arrive: the gateway keeps serving the catalog it holds until the new
 * one is complete, so no valid beacon is ever refused, and each is counted once.
 */
class CatalogReloadIT {

    private static final int PORT_BASE = TestPorts.of(9300);
    private static final int CLIENTS = 4;
    private static final int RELOADS = 30;

    private static TestDatabase db;
    private static List<HazelcastInstance> grid;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        grid = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(CatalogReloadIT.class), PORT_BASE), 1);
    }

    @AfterAll
    static void stop() {
        if (grid != null) {
            TestGrid.terminate(grid);
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void validBeaconsAreCountedThroughWholeCatalogReloads() throws Exception {
        db.truncateCatalog();
        DemoCatalog.seedIfEmpty(db.dataSource());
        long full = DemoCatalog.CAMPAIGNS + DemoCatalog.BANNERS + DemoCatalog.PUBLISHERS;
        try (TestGateway gateway = TestGateway.start(dir, CatalogLimits.defaults(), db.dataSource(), grid.get(0), Duration.ofHours(1))) {
            long before = GridTotals.sum(grid.get(0)).impressions;
            // As after a restore: the sequence is behind the version the gateway holds, so every refresh reloads it whole.
            db.sql("SELECT setval('catalog_version', 1)");

            AtomicBoolean reloading = new AtomicBoolean(true);
            AtomicInteger sent = new AtomicInteger();
            Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<?>> running = new java.util.ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    running.add(clients.submit(() -> {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        for (int i = 0; reloading.get(); i++) {
                            long banner = random.nextLong(1, DemoCatalog.BANNERS + 1);
                            long publisher = random.nextLong(1, DemoCatalog.PUBLISHERS + 1);
                            Map<String, String> beacon = signed(DemoCatalog.secretOf(DemoCatalog.campaignOf(banner)),
                                    impression(banner, publisher, "reload-" + client + "-" + i, null));
                            int status = gateway.get("/i", beacon).statusCode();
                            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                            sent.incrementAndGet();
                        }
                        return null;
                    }));
                }
                int reloads = 0;
                while (reloads < RELOADS) {
                    gateway.catalog.refresh();
                    if (gateway.catalog.lastRefreshChanges() == full) {
                        reloads++;
                    }
                }
                reloading.set(false);
                for (Future<?> f : running) {
                    f.get();
                }
            } finally {
                reloading.set(false);
                clients.shutdownNow();
            }

            System.out.printf("catalog reload: %d reloads, %d beacons sent, answers %s%n", RELOADS, sent.get(), statuses);
            assertThat(gateway.refreshFailures("source_unavailable") + gateway.refreshFailures("catalog_full")).isZero();
            assertThat(sent.get()).as("beacons sent during the reloads").isGreaterThan(CLIENTS);
            assertThat(statuses.keySet()).as("every valid beacon answered 200 during the reloads: " + statuses).containsOnly(200);
            assertThat(GridTotals.sum(grid.get(0)).impressions - before).as("each counted once").isEqualTo(sent.get());
            assertThat(gateway.catalog.store().bannerCount()).isEqualTo(DemoCatalog.BANNERS);
        }
    }
}
