package io.adgrid.gateway.catalog;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import io.adgrid.catalog.Campaign;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.set.ChronicleSet;
import net.openhft.chronicle.set.ChronicleSetBuilder;

/**
 * One generation of the catalog's maps: banners and publishers off heap, campaigns persisted and
 * mirrored on heap. A whole reload fills a new generation beside the one serving, then the store
 * switches to it (generation 0 uses the plain file names, so files made before generations existed
 * open as they are).
 *
 * <p>Readers {@link #enter()} before touching the off-heap maps and {@link #exit()} after; a retired
 * generation is closed only once no reader is inside, so no read ever touches an unmapped file.
 */
final class CatalogMaps implements AutoCloseable {

    static final String BANNERS_FILE = "banners.cm3";
    static final String PUBLISHERS_FILE = "publishers.cm3";
    static final String CAMPAIGNS_FILE = "campaigns.cm3";
    private static final String[] FILES = {BANNERS_FILE, PUBLISHERS_FILE, CAMPAIGNS_FILE};
    /** Campaign id (8) + a landing URL of up to ~100 bytes (stop-bit length + UTF-8). */
    private static final double AVERAGE_BANNER_VALUE = 8 + 1 + 100;
    private static final double AVERAGE_CAMPAIGN_VALUE = 256;

    final int generation;
    final ChronicleMap<Long, BannerEntry> banners;
    final ChronicleSet<Long> publishers;
    final ChronicleMap<Long, CampaignEntry> campaignFile;
    final Map<Long, Campaign> campaigns = new ConcurrentHashMap<>();
    volatile long bannerCount;
    volatile long publisherCount;
    private final LongAdder readers = new LongAdder();
    private volatile boolean retired;

    private CatalogMaps(int generation, ChronicleMap<Long, BannerEntry> banners, ChronicleSet<Long> publishers,
                        ChronicleMap<Long, CampaignEntry> campaignFile) {
        this.generation = generation;
        this.banners = banners;
        this.publishers = publishers;
        this.campaignFile = campaignFile;
        this.bannerCount = banners.longSize();
        this.publisherCount = publishers.size();
        campaignFile.forEachEntry(e -> campaigns.put(e.key().get(), e.value().get().toCampaign(e.key().get())));
    }

    /** Opens (or creates) generation {@code generation}'s files in {@code dir}; {@code recover} after a crash. */
    static CatalogMaps open(Path dir, CatalogLimits limits, int generation, boolean recover) throws IOException {
        ChronicleMap<Long, BannerEntry> banners = persisted(bannerMap(limits), dir.resolve(file(BANNERS_FILE, generation)), recover);
        ChronicleSet<Long> publishers = null;
        try {
            publishers = persisted(publisherSet(limits), dir.resolve(file(PUBLISHERS_FILE, generation)), recover);
            ChronicleMap<Long, CampaignEntry> campaigns = persisted(campaignMap(limits), dir.resolve(file(CAMPAIGNS_FILE, generation)), recover);
            return new CatalogMaps(generation, banners, publishers, campaigns);
        } catch (IOException | RuntimeException e) {
            banners.close();
            if (publishers != null) {
                publishers.close();
            }
            throw e;
        }
    }

    /** A generation's file name: the plain name for 0, then {@code banners.cm3.1}, {@code .2}, ... */
    static String file(String base, int generation) {
        return generation == 0 ? base : base + "." + generation;
    }

    /** Deletes every map file in {@code dir} but those of generation {@code keep} (-1: all of them). */
    static void deleteAllBut(Path dir, int keep) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                for (String base : FILES) {
                    if (name.startsWith(base) && (keep < 0 || !name.equals(file(base, keep)))) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    /** Bytes this generation's files take on disk (allocated blocks are fewer: the files are sparse). */
    long fileBytes(Path dir) {
        long total = 0;
        for (String f : FILES) {
            total += dir.resolve(file(f, generation)).toFile().length();
        }
        return total;
    }

    /** Starts a read of the off-heap maps; false when this generation is retired (read the store's current one). */
    boolean enter() {
        readers.increment();
        if (retired) {
            readers.decrement();
            return false;
        }
        return true;
    }

    void exit() {
        readers.decrement();
    }

    /**
     * Closes this generation once the readers inside have left; new readers are turned away. The
     * store points readers at the next generation first, so they only ever wait a lookup's time.
     */
    void retireAndClose() {
        retired = true;
        while (readers.sum() != 0) {
            Thread.onSpinWait();
        }
        close();
    }

    /** Closes and deletes this generation's files (a reload that failed half way). */
    void discard(Path dir) throws IOException {
        retireAndClose();
        for (String f : FILES) {
            Files.deleteIfExists(dir.resolve(file(f, generation)));
        }
    }

    @Override
    public void close() {
        banners.close();
        publishers.close();
        campaignFile.close();
    }

    // skipCloseOnExitHook: Chronicle's own JVM shutdown hook closed the catalog while the gateway still
    // answered (500s until the graceful stop ran, issue 18, seed 21); the gateway closes it after it stops taking requests.
    static ChronicleMapBuilder<Long, BannerEntry> bannerMap(CatalogLimits limits) {
        return ChronicleMapBuilder.of(Long.class, BannerEntry.class).name("adgrid-catalog-banners")
                .entries(limits.maxBanners()).averageValueSize(AVERAGE_BANNER_VALUE).maxBloatFactor(2.0)
                .putReturnsNull(true).removeReturnsNull(true).skipCloseOnExitHook(true);
    }

    static ChronicleSetBuilder<Long> publisherSet(CatalogLimits limits) {
        return ChronicleSetBuilder.of(Long.class).name("adgrid-catalog-publishers").entries(limits.maxPublishers()).maxBloatFactor(2.0)
                .skipCloseOnExitHook(true);
    }

    static ChronicleMapBuilder<Long, CampaignEntry> campaignMap(CatalogLimits limits) {
        return ChronicleMapBuilder.of(Long.class, CampaignEntry.class).name("adgrid-catalog-campaigns")
                .entries(limits.maxCampaigns()).averageValueSize(AVERAGE_CAMPAIGN_VALUE).maxBloatFactor(2.0)
                .putReturnsNull(true).skipCloseOnExitHook(true);
    }

    @SuppressWarnings("unchecked")
    static <H> H persisted(Object builder, Path file, boolean recover) throws IOException {
        File f = file.toFile();
        if (builder instanceof ChronicleMapBuilder<?, ?> b) {
            return (H) (recover && f.exists() ? b.recoverPersistedTo(f, true) : b.createPersistedTo(f));
        }
        ChronicleSetBuilder<?> b = (ChronicleSetBuilder<?>) builder;
        return (H) (recover && f.exists() ? b.recoverPersistedTo(f, true) : b.createPersistedTo(f));
    }
}
