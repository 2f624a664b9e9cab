package io.adgrid.gateway.catalog;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.CatalogChanges;
import net.openhft.chronicle.core.Jvm;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.set.ChronicleSet;
import net.openhft.chronicle.set.ChronicleSetBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's catalog, off heap in Chronicle Map files under one directory (by default
 * {@code var/catalog}): banners (id -> campaign, landing URL) and publishers off heap, campaigns
 * persisted too and mirrored on heap (they are few, and validation needs their keys). The files
 * are reopened at start, so a restarted gateway validates beacons before, or without, the database.
 *
 * <p>Files: {@code banners.cm3}, {@code publishers.cm3}, {@code campaigns.cm3} (the maps),
 * {@code catalog.properties} (the catalog version the maps hold and the limits they were sized
 * for), {@code lock} (one process at a time) and {@code open} (present while open; found at start,
 * it means the last process died with the maps open, and they are recovered). The directory is
 * private to the owner: the campaign map holds signing secrets.
 *
 * <p>One writer (the refresher) and any number of readers (validation) at once. Readers go through
 * {@link HotEntries} first, which every write invalidates.
 */
public final class CatalogStore implements CatalogView, CatalogChanges, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogStore.class);
    private static final int FORMAT = 1;
    static final String BANNERS_FILE = "banners.cm3";
    static final String PUBLISHERS_FILE = "publishers.cm3";
    static final String CAMPAIGNS_FILE = "campaigns.cm3";
    static final String META_FILE = "catalog.properties";
    private static final String OPEN_MARKER = "open";
    /** Campaign id (8) + a landing URL of up to ~100 bytes (stop-bit length + UTF-8). */
    private static final double AVERAGE_BANNER_VALUE = 8 + 1 + 100;
    private static final double AVERAGE_CAMPAIGN_VALUE = 256;

    static {
        // Opening a map compiles a Chronicle class with javac, which reads class files only from
        // java.class.path: in the Spring Boot executable jar, the outer jar alone. On JDK 22+ javac also
        // needs the class files of the type annotations it reads (NotNull, NonNegative) and of the types
        // they annotate. The jar unpacks those libraries (app/pom.xml, requiresUnpack); this puts them
        // on java.class.path before the first map opens. A no-op on a plain class path (tests).
        Jvm.addToClassPath(CatalogStore.class);
    }

    private final Path dir;
    private final CatalogLimits limits;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ChronicleMap<Long, BannerEntry> banners;
    private final ChronicleSet<Long> publishers;
    private final ChronicleMap<Long, CampaignEntry> campaignFile;
    private final Map<Long, Campaign> campaigns = new ConcurrentHashMap<>();
    private final BannerEntry scratch = new BannerEntry();
    private final HotEntries hot = new HotEntries();
    private volatile long bannerCount;
    private volatile long publisherCount;
    private volatile long version;
    private volatile boolean loaded;

    private CatalogStore(Path dir, CatalogLimits limits, FileChannel lockChannel, FileLock lock,
                         ChronicleMap<Long, BannerEntry> banners, ChronicleSet<Long> publishers,
                         ChronicleMap<Long, CampaignEntry> campaignFile, long version, boolean loaded) {
        this.dir = dir;
        this.limits = limits;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.banners = banners;
        this.publishers = publishers;
        this.campaignFile = campaignFile;
        this.version = version;
        this.loaded = loaded;
        this.bannerCount = banners.longSize();
        this.publisherCount = publishers.size();
        campaignFile.forEachEntry(e -> campaigns.put(e.key().get(), e.value().get().toCampaign(e.key().get())));
    }

    /**
     * Opens the store in {@code dir}, creating it when new. When the limits changed since the files
     * were made, the entries are copied into files of the new size first.
     *
     * @throws CatalogFullException when the files hold more than the limits allow
     * @throws IllegalStateException when another process holds the directory
     */
    public static CatalogStore open(Path dir, CatalogLimits limits) {
        FileChannel channel = null;
        try {
            createPrivateDirectory(dir);
            channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("the catalog directory " + dir.toAbsolutePath() + " is in use by another gateway: "
                        + "give each gateway process its own ADGRID_CATALOG_DIR (adgrid.catalog.dir)");
            }
            Properties meta = readMeta(dir);
            boolean recover = Files.exists(dir.resolve(OPEN_MARKER));
            if (meta == null) {
                deleteMaps(dir);
                recover = false;
            } else if (!limitsOf(meta).equals(limits)) {
                resize(dir, limitsOf(meta), limits, recover);
                recover = false;
            }
            if (recover) {
                log.warn("the catalog files in {} were not closed cleanly: recovering them", dir);
            }
            ChronicleMap<Long, BannerEntry> banners = persisted(bannerMap(limits), dir.resolve(BANNERS_FILE), recover);
            ChronicleSet<Long> publishers = persisted(publisherSet(limits), dir.resolve(PUBLISHERS_FILE), recover);
            ChronicleMap<Long, CampaignEntry> campaigns = persisted(campaignMap(limits), dir.resolve(CAMPAIGNS_FILE), recover);
            long version = meta == null ? 0 : Long.parseLong(meta.getProperty("version", "0"));
            boolean loaded = meta != null && Boolean.parseBoolean(meta.getProperty("loaded", "false"));
            CatalogStore store = new CatalogStore(dir, limits, channel, lock, banners, publishers, campaigns, version, loaded);
            try {
                store.checkLimits();
                store.writeMeta();
                Files.writeString(dir.resolve(OPEN_MARKER), "");
            } catch (RuntimeException | IOException e) {
                store.close();
                throw e;
            }
            return store;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot open the catalog files in " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    // ---- reading (validation) ------------------------------------------------------------------

    @Override
    public boolean banner(long id, BannerEntry into) {
        if (hot.banner(id, into)) {
            return true;
        }
        long readAt = hot.changes();
        if (banners.getUsing(id, into) == null) {
            return false;
        }
        hot.rememberBanner(id, readAt, into);
        return true;
    }

    @Override
    public boolean hasPublisher(long id) {
        if (hot.hasPublisher(id)) {
            return true;
        }
        long readAt = hot.changes();
        if (!publishers.contains(id)) {
            return false;
        }
        hot.rememberPublisher(id, readAt);
        return true;
    }

    @Override
    public Campaign campaign(long id) {
        return campaigns.get(id);
    }

    public long bannerCount() {
        return bannerCount;
    }

    public long publisherCount() {
        return publisherCount;
    }

    public long campaignCount() {
        return campaigns.size();
    }

    /** The catalog version the maps hold (0: none yet). */
    public long version() {
        return version;
    }

    /** True once a load from the source has completed, in this process or an earlier one. */
    public boolean isLoaded() {
        return loaded;
    }

    public Path directory() {
        return dir;
    }

    public CatalogLimits limits() {
        return limits;
    }

    /** Bytes the three map files take on disk (allocated blocks are fewer: the files are sparse). */
    public long fileBytes() {
        long total = 0;
        for (String f : new String[] {BANNERS_FILE, PUBLISHERS_FILE, CAMPAIGNS_FILE}) {
            total += dir.resolve(f).toFile().length();
        }
        return total;
    }

    // ---- writing (the refresher) -----------------------------------------------------------------

    /** Records that the maps now hold the catalog up to {@code version}. */
    public void markLoaded(long version) {
        this.version = version;
        this.loaded = true;
        writeMeta();
    }

    @Override
    public void reset() {
        banners.clear();
        publishers.clear();
        campaignFile.clear();
        campaigns.clear();
        bannerCount = 0;
        publisherCount = 0;
        version = 0;
        hot.changed();
        writeMeta();
    }

    @Override
    public void campaign(Campaign campaign) {
        Long id = campaign.id();
        if (!campaigns.containsKey(id) && campaigns.size() >= limits.maxCampaigns()) {
            throw new CatalogFullException("campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
        }
        putOrFull(campaignFile, id, CampaignEntry.of(campaign), "campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
        campaigns.put(id, campaign);
    }

    @Override
    public void campaignRemoved(long id) {
        campaigns.remove(id);
        campaignFile.remove(id);
    }

    @Override
    public void banner(long id, long campaignId, String landingUrl) {
        Long key = id;
        boolean known = banners.containsKey(key);
        if (!known && bannerCount >= limits.maxBanners()) {
            throw new CatalogFullException("banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
        }
        putOrFull(banners, key, scratch.set(campaignId, landingUrl), "banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
        hot.changed();
        if (!known) {
            bannerCount++;
        }
    }

    @Override
    public void bannerRemoved(long id) {
        Long key = id;
        if (banners.containsKey(key)) {
            banners.remove(key);
            hot.changed();
            bannerCount--;
        }
    }

    @Override
    public void publisher(long id) {
        Long key = id;
        if (publishers.contains(key)) {
            return;
        }
        if (publisherCount >= limits.maxPublishers()) {
            throw new CatalogFullException("publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
        }
        try {
            publishers.add(key);
        } catch (IllegalStateException e) {
            throw full(e, "publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
        }
        hot.changed();
        publisherCount++;
    }

    @Override
    public void publisherRemoved(long id) {
        if (publishers.remove(id)) {
            hot.changed();
            publisherCount--;
        }
    }

    @Override
    public void close() {
        try {
            banners.close();
            publishers.close();
            campaignFile.close();
            Files.deleteIfExists(dir.resolve(OPEN_MARKER));
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dir.resolve(OPEN_MARKER), e.getMessage());
        } finally {
            try {
                lock.release();
            } catch (IOException e) {
                log.debug("releasing the catalog lock", e);
            }
            closeQuietly(lockChannel);
        }
    }

    @Override
    public String toString() {
        return "CatalogStore[" + dir + ", version " + version + ", " + campaigns.size() + " campaigns, " + bannerCount
                + " banners, " + publisherCount + " publishers]";
    }

    // ---- internals ------------------------------------------------------------------------------

    private void checkLimits() {
        if (bannerCount > limits.maxBanners()) {
            throw new CatalogFullException("banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
        }
        if (publisherCount > limits.maxPublishers()) {
            throw new CatalogFullException("publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
        }
        if (campaigns.size() > limits.maxCampaigns()) {
            throw new CatalogFullException("campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
        }
    }

    private static <V> void putOrFull(ChronicleMap<Long, V> map, Long key, V value, String what, long limit, String setting) {
        try {
            map.put(key, value);
        } catch (IllegalStateException e) {
            // Chronicle Map refuses an entry when its segments are full (e.g. landing URLs far
            // longer than the average it was sized for): the same remedy, a bigger limit.
            throw full(e, what, limit, setting);
        }
    }

    private static CatalogFullException full(IllegalStateException cause, String what, long limit, String setting) {
        CatalogFullException e = new CatalogFullException(what, limit, setting);
        e.initCause(cause);
        return e;
    }

    private void writeMeta() {
        Properties p = new Properties();
        p.setProperty("format", Integer.toString(FORMAT));
        p.setProperty("version", Long.toString(version));
        p.setProperty("loaded", Boolean.toString(loaded));
        p.setProperty("maxBanners", Long.toString(limits.maxBanners()));
        p.setProperty("maxPublishers", Long.toString(limits.maxPublishers()));
        p.setProperty("maxCampaigns", Long.toString(limits.maxCampaigns()));
        Path tmp = dir.resolve(META_FILE + ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp)) {
                p.store(w, "AdGrid gateway catalog: the version the maps hold and the limits they were sized for");
            }
            move(tmp, dir.resolve(META_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(META_FILE) + ": " + e.getMessage(), e);
        }
    }

    private static Properties readMeta(Path dir) throws IOException {
        Path file = dir.resolve(META_FILE);
        if (!Files.exists(file)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        if (!Integer.toString(FORMAT).equals(p.getProperty("format"))) {
            log.warn("{} is of another format: starting an empty catalog there", file);
            return null;
        }
        return p;
    }

    private static CatalogLimits limitsOf(Properties meta) {
        return new CatalogLimits(Long.parseLong(meta.getProperty("maxBanners")), Long.parseLong(meta.getProperty("maxPublishers")),
                Long.parseLong(meta.getProperty("maxCampaigns")));
    }

    /** Copies every entry into maps of the new size, then puts them in place of the old ones. */
    private static void resize(Path dir, CatalogLimits old, CatalogLimits limits, boolean recover) throws IOException {
        log.info("catalog limits changed ({} -> {}): copying the catalog files to the new size", old, limits);
        Path bannersNew = dir.resolve(BANNERS_FILE + ".new");
        Path publishersNew = dir.resolve(PUBLISHERS_FILE + ".new");
        Path campaignsNew = dir.resolve(CAMPAIGNS_FILE + ".new");
        for (Path p : new Path[] {bannersNew, publishersNew, campaignsNew}) {
            Files.deleteIfExists(p);
        }
        try (ChronicleMap<Long, BannerEntry> from = persisted(bannerMap(old), dir.resolve(BANNERS_FILE), recover);
             ChronicleMap<Long, BannerEntry> to = persisted(bannerMap(limits), bannersNew, false)) {
            if (from.longSize() > limits.maxBanners()) {
                throw new CatalogFullException("banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
            }
            from.forEachEntry(e -> to.put(e.key().get(), e.value().get()));
        }
        try (ChronicleSet<Long> from = persisted(publisherSet(old), dir.resolve(PUBLISHERS_FILE), recover);
             ChronicleSet<Long> to = persisted(publisherSet(limits), publishersNew, false)) {
            if (from.size() > limits.maxPublishers()) {
                throw new CatalogFullException("publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
            }
            to.addAll(from);
        }
        try (ChronicleMap<Long, CampaignEntry> from = persisted(campaignMap(old), dir.resolve(CAMPAIGNS_FILE), recover);
             ChronicleMap<Long, CampaignEntry> to = persisted(campaignMap(limits), campaignsNew, false)) {
            if (from.longSize() > limits.maxCampaigns()) {
                throw new CatalogFullException("campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
            }
            from.forEachEntry(e -> to.put(e.key().get(), e.value().get()));
        }
        move(bannersNew, dir.resolve(BANNERS_FILE));
        move(publishersNew, dir.resolve(PUBLISHERS_FILE));
        move(campaignsNew, dir.resolve(CAMPAIGNS_FILE));
    }

    private static ChronicleMapBuilder<Long, BannerEntry> bannerMap(CatalogLimits limits) {
        return ChronicleMapBuilder.of(Long.class, BannerEntry.class).name("adgrid-catalog-banners")
                .entries(limits.maxBanners()).averageValueSize(AVERAGE_BANNER_VALUE).maxBloatFactor(2.0)
                .putReturnsNull(true).removeReturnsNull(true);
    }

    private static ChronicleSetBuilder<Long> publisherSet(CatalogLimits limits) {
        return ChronicleSetBuilder.of(Long.class).name("adgrid-catalog-publishers").entries(limits.maxPublishers()).maxBloatFactor(2.0);
    }

    private static ChronicleMapBuilder<Long, CampaignEntry> campaignMap(CatalogLimits limits) {
        return ChronicleMapBuilder.of(Long.class, CampaignEntry.class).name("adgrid-catalog-campaigns")
                .entries(limits.maxCampaigns()).averageValueSize(AVERAGE_CAMPAIGN_VALUE).maxBloatFactor(2.0)
                .putReturnsNull(true);
    }

    @SuppressWarnings("unchecked")
    private static <H> H persisted(Object builder, Path file, boolean recover) throws IOException {
        File f = file.toFile();
        if (builder instanceof ChronicleMapBuilder<?, ?> b) {
            return (H) (recover && f.exists() ? b.recoverPersistedTo(f, true) : b.createPersistedTo(f));
        }
        ChronicleSetBuilder<?> b = (ChronicleSetBuilder<?>) builder;
        return (H) (recover && f.exists() ? b.recoverPersistedTo(f, true) : b.createPersistedTo(f));
    }

    private static void deleteMaps(Path dir) throws IOException {
        for (String f : new String[] {BANNERS_FILE, PUBLISHERS_FILE, CAMPAIGNS_FILE, OPEN_MARKER}) {
            Files.deleteIfExists(dir.resolve(f));
        }
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing more to do
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing the catalog lock file", e);
            }
        }
    }
}
