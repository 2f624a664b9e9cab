package io.adgrid.gateway.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import io.adgrid.catalog.Campaign;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not part of the default suite (profile {@code catalog-bench}, see docs/PERFORMANCE.md "Catalog
 * off-heap"): loads ten million banners into the off-heap catalog the way a refresh does and
 * prints the heap used before and after (after GC), the files' size, the bytes per entry and what a
 * lookup allocates. Asserts only that the heap did not grow with the catalog.
 */
@EnabledIfSystemProperty(named = "adgrid.bench.catalog", matches = "true")
class CatalogFootprintBenchmark {

    private static final long BANNERS = Long.getLong("adgrid.bench.banners", 10_000_000L);
    private static final long PUBLISHERS = 100_000;
    private static final int CAMPAIGNS = 1_000;

    @Test
    void tenMillionBannersLiveOffHeap() throws Exception {
        Path dir = Files.createTempDirectory("adgrid-catalog-bench");
        try {
            run(dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void run(Path dir) throws Exception {
        CatalogLimits limits = new CatalogLimits(BANNERS, PUBLISHERS, CAMPAIGNS);
        long heapBefore = heapAfterGc();
        long start = System.nanoTime();
        long loadMs;
        long heapLoaded;
        try (CatalogStore store = CatalogStore.open(dir, limits)) {
            long heapOpen = heapAfterGc();
            System.out.printf("catalog-bench: open: %,d ms%n", (System.nanoTime() - start) / 1_000_000);
            long t = System.nanoTime();
            for (int c = 1; c <= CAMPAIGNS; c++) {
                store.campaign(Campaign.of(c, "USD", "bench-secret-" + c));
            }
            System.out.printf("catalog-bench: campaigns: %,d ms%n", (System.nanoTime() - t) / 1_000_000);
            t = System.nanoTime();
            for (long p = 1; p <= PUBLISHERS; p++) {
                store.publisher(p);
            }
            System.out.printf("catalog-bench: publishers: %,d ms%n", (System.nanoTime() - t) / 1_000_000);
            t = System.nanoTime();
            for (long b = 1; b <= BANNERS; b++) {
                store.banner(b, 1 + b % CAMPAIGNS, "https://example.com/landing/" + b);
            }
            System.out.printf("catalog-bench: banners: %,d ms%n", (System.nanoTime() - t) / 1_000_000);
            store.markLoaded(BANNERS + PUBLISHERS + CAMPAIGNS);
            loadMs = (System.nanoTime() - start) / 1_000_000;
            heapLoaded = heapAfterGc();
            print("heap used, empty catalog open", heapOpen);
            print("lookups: bytes allocated per banner+publisher+campaign lookup", allocatedPerLookup(store));
        }
        long reopenStart = System.nanoTime();
        long heapReopened;
        try (CatalogStore again = CatalogStore.open(dir, limits)) {
            long reopenMs = (System.nanoTime() - reopenStart) / 1_000_000;
            assertThat(again.bannerCount()).isEqualTo(BANNERS);
            heapReopened = heapAfterGc();
            System.out.printf("catalog-bench: reopen of %,d banners: %,d ms%n", BANNERS, reopenMs);
        }
        long apparent = du(dir, true);
        long allocated = du(dir, false);
        long entries = BANNERS + PUBLISHERS + CAMPAIGNS;
        System.out.printf("catalog-bench: %,d banners, %,d publishers, %,d campaigns loaded in %,d ms%n", BANNERS, PUBLISHERS, CAMPAIGNS, loadMs);
        print("heap used before (after GC)", heapBefore);
        print("heap used with the catalog loaded (after GC)", heapLoaded);
        print("heap used after reopening the files (after GC)", heapReopened);
        print("files, apparent size (sparse)", apparent);
        print("files, allocated on disk", allocated);
        System.out.printf("catalog-bench: bytes per catalog entry on disk: %.1f (apparent %.1f)%n",
                (double) allocated / entries, (double) apparent / entries);
        assertThat(heapLoaded - heapBefore).as("heap growth with %,d banners loaded", BANNERS).isLessThan(64L << 20);
    }

    /** Bytes this thread allocates per lookup, averaged over a million lookups of random banners. */
    private static long allocatedPerLookup(CatalogStore store) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SplittableRandom random = new SplittableRandom(7);
        BannerEntry into = new BannerEntry();
        int n = 1_000_000;
        long found = 0;
        for (int warm = 0; warm < 2; warm++) {
            for (int i = 0; i < n; i++) {
                long b = 1 + random.nextLong(BANNERS);
                if (store.banner(b, into) && store.hasPublisher(1 + b % PUBLISHERS) && store.campaign(into.campaignId()) != null) {
                    found++;
                }
            }
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) {
            long b = 1 + random.nextLong(BANNERS);
            if (store.banner(b, into) && store.hasPublisher(1 + b % PUBLISHERS) && store.campaign(into.campaignId()) != null) {
                found++;
            }
        }
        long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(found).isEqualTo(3L * n);
        return bytes / n;
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long du(Path dir, boolean apparent) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(apparent ? new String[] {"du", "-s", "-B1", "--apparent-size", dir.toString()}
                : new String[] {"du", "-s", "-B1", dir.toString()}).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }

    private static void print(String what, long bytes) {
        System.out.printf("catalog-bench: %s: %,d bytes (%.1f MiB)%n", what, bytes, bytes / 1048576.0);
    }
}
