package io.adgrid.gateway.catalog;

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
import java.util.Properties;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;
import io.adgrid.catalog.CatalogChanges;
import net.openhft.chronicle.core.Jvm;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.set.ChronicleSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's catalog, off heap in Chronicle Map files under one directory (by default
 * {@code var/catalog}): banners (id -> campaign, landing URL) and publishers off heap, campaigns
 * persisted too and mirrored on heap (they are few, and validation needs their keys). The files
 * are reopened at start, so a restarted gateway validates beacons before, or without, the database.
 *
 * <p>Files: {@code banners.cm3}, {@code publishers.cm3}, {@code campaigns.cm3} (the maps; a
 * later generation adds {@code .N}), {@code catalog.properties} (the generation and catalog version
 * the maps hold and the limits they were sized for), {@code lock} (one process at a time) and
 * {@code open} (present while open; found at start, it means the last process died with the maps
 * open, and they are recovered). The directory is private to the owner: the campaign map holds
 * signing secrets.
 *
 * <p>One writer (the refresher) and any number of readers (validation) at once. Readers go through
 * {@link HotEntries} first, which every write invalidates. A whole reload ({@link #reset()}) fills
 * a new generation of maps beside the serving one; {@link #markLoaded} then switches readers to it
 * in one step, so a reload never shows readers a half-empty catalog (issue 20).
 */
public final class CatalogStore implements CatalogView, CatalogChanges, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogStore.class);
    private static final int FORMAT = 1;
    static final String BANNERS_FILE = CatalogMaps.BANNERS_FILE;
    static final String PUBLISHERS_FILE = CatalogMaps.PUBLISHERS_FILE;
    static final String CAMPAIGNS_FILE = CatalogMaps.CAMPAIGNS_FILE;
    static final String META_FILE = "catalog.properties";
    private static final String OPEN_MARKER = "open";

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
    private final BannerEntry scratch = new BannerEntry();
    private final HotEntries hot = new HotEntries();
    /** What readers read. */
    private volatile CatalogMaps serving;
    /** What the writer writes: {@link #serving}, or the next generation while a reload fills it. */
    private CatalogMaps writing;
    private volatile long version;
    private volatile boolean loaded;
    /** Sender keys by kid (issue 23), replaced whole by each refresh; from {@link SenderKeyFile} at start; null until either. */
    private volatile Map<String, SenderKey> senderKeys;
    /** What {@link SenderKeyFile} holds now (written only when a refresh changes it). */
    private String senderKeysWritten;

    private CatalogStore(Path dir, CatalogLimits limits, FileChannel lockChannel, FileLock lock, CatalogMaps maps,
                         long version, boolean loaded) {
        this.dir = dir;
        this.limits = limits;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.serving = maps;
        this.writing = maps;
        this.version = version;
        this.loaded = loaded;
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
            int generation = meta == null ? 0 : Integer.parseInt(meta.getProperty("generation", "0"));
            // Files of any other generation are what a reload left when the process stopped before switching.
            CatalogMaps.deleteAllBut(dir, meta == null ? -1 : generation);
            if (meta == null) {
                Files.deleteIfExists(dir.resolve(OPEN_MARKER));
                recover = false;
            } else if (!limitsOf(meta).equals(limits)) {
                resize(dir, generation, limitsOf(meta), limits, recover);
                recover = false;
            }
            if (recover) {
                log.warn("the catalog files in {} were not closed cleanly: recovering them", dir);
            }
            CatalogMaps maps = CatalogMaps.open(dir, limits, generation, recover);
            long version = meta == null ? 0 : Long.parseLong(meta.getProperty("version", "0"));
            boolean loaded = meta != null && Boolean.parseBoolean(meta.getProperty("loaded", "false"));
            CatalogStore store = new CatalogStore(dir, limits, channel, lock, maps, version, loaded);
            Map<String, SenderKey> senderKeys = SenderKeyFile.read(dir);
            if (senderKeys != null) {
                store.senderKeys = Map.copyOf(senderKeys);
                store.senderKeysWritten = SenderKeyFile.text(senderKeys.values());
            } else if (Files.exists(dir.resolve(SenderKeyFile.FILE))) {
                log.warn("{} cannot be read: request-signed bodies wait for the first catalog refresh", dir.resolve(SenderKeyFile.FILE));
            }
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
        long readAt = hot.changes(); // before choosing the maps: a switch after it makes what is read here stale
        CatalogMaps maps = enter();
        try {
            if (maps.banners.getUsing(id, into) == null) {
                return false;
            }
        } finally {
            maps.exit();
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
        CatalogMaps maps = enter();
        try {
            if (!maps.publishers.contains(id)) {
                return false;
            }
        } finally {
            maps.exit();
        }
        hot.rememberPublisher(id, readAt);
        return true;
    }

    /** The serving maps, entered: a reload's switch retires the old ones only once their readers left. */
    private CatalogMaps enter() {
        while (true) {
            CatalogMaps maps = serving;
            if (maps.enter()) {
                return maps;
            }
        }
    }

    @Override
    public Campaign campaign(long id) {
        return serving.campaigns.get(id);
    }

    @Override
    public SenderKey senderKey(String kid) {
        Map<String, SenderKey> keys = senderKeys;
        return keys == null ? null : keys.get(kid);
    }

    @Override
    public boolean senderKeysLoaded() {
        return senderKeys != null;
    }

    /**
     * Read on heap, and kept in {@link SenderKeyFile} beside the maps, so that a gateway that starts
     * from its files without the database verifies request-signed bodies as it verifies per-line signed
     * beacons. Sender keys are few, and a refresh streams them all, so nothing here depends on the
     * version the maps hold. A file that cannot be written costs only that: the keys still serve.
     */
    @Override
    public void senderKeys(Collection<SenderKey> all) {
        Map<String, SenderKey> keys = new HashMap<>();
        all.forEach(k -> keys.put(k.kid(), k));
        senderKeys = Map.copyOf(keys);
        String text = SenderKeyFile.text(keys.values());
        if (text.equals(senderKeysWritten)) {
            return;
        }
        Path tmp = dir.resolve(SenderKeyFile.FILE + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text);
            move(tmp, dir.resolve(SenderKeyFile.FILE));
            senderKeysWritten = text;
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot write {}: a restart without the database waits for a refresh to verify request-signed bodies ({})",
                    dir.resolve(SenderKeyFile.FILE), e.toString());
        }
    }

    public long bannerCount() {
        return serving.bannerCount;
    }

    public long publisherCount() {
        return serving.publisherCount;
    }

    public long campaignCount() {
        return serving.campaigns.size();
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
        return serving.fileBytes(dir);
    }

    // ---- writing (the refresher) -----------------------------------------------------------------

    /**
     * Records that the maps now hold the catalog up to {@code version}. After a {@link #reset()}, this
     * is the switch: the catalog file names the new generation (one atomic rename, so a crash leaves
     * either the old catalog or the new one), readers move to it, and the old one is closed and deleted.
     */
    public void markLoaded(long version) {
        CatalogMaps old = serving;
        this.version = version;
        this.loaded = true;
        if (writing == old) {
            writeMeta();
            return;
        }
        CatalogMaps next = writing;
        writeMeta();
        serving = next;
        hot.changed();
        old.retireAndClose();
        try {
            CatalogMaps.deleteAllBut(dir, next.generation);
        } catch (IOException e) {
            log.warn("cannot delete the catalog files of generation {} in {}: {}", old.generation, dir, e.getMessage());
        }
    }

    /**
     * What follows is the whole catalog: it goes into a new generation of maps, while readers keep
     * the current one until {@link #markLoaded} switches them.
     */
    @Override
    public void reset() {
        discardReload();
        try {
            CatalogMaps.deleteAllBut(dir, serving.generation);
            writing = CatalogMaps.open(dir, limits, serving.generation + 1, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the next catalog files in " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Drops a reload that did not complete (the source failed, or the catalog outgrew the limits): readers never saw it. */
    public void discardReload() {
        if (writing == serving) {
            return;
        }
        CatalogMaps next = writing;
        writing = serving;
        try {
            next.discard(dir);
        } catch (IOException e) {
            log.warn("cannot delete the catalog files of an abandoned reload in {}: {}", dir, e.getMessage());
        }
    }

    @Override
    public void campaign(Campaign campaign) {
        CatalogMaps m = writing;
        Long id = campaign.id();
        if (!m.campaigns.containsKey(id) && m.campaigns.size() >= limits.maxCampaigns()) {
            throw new CatalogFullException("campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
        }
        putOrFull(m.campaignFile, id, CampaignEntry.of(campaign), "campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
        m.campaigns.put(id, campaign);
    }

    @Override
    public void campaignRemoved(long id) {
        CatalogMaps m = writing;
        m.campaigns.remove(id);
        m.campaignFile.remove(id);
    }

    @Override
    public void banner(long id, long campaignId, String landingUrl) {
        CatalogMaps m = writing;
        Long key = id;
        boolean known = m.banners.containsKey(key);
        if (!known && m.bannerCount >= limits.maxBanners()) {
            throw new CatalogFullException("banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
        }
        putOrFull(m.banners, key, scratch.set(campaignId, landingUrl), "banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
        hot.changed();
        if (!known) {
            m.bannerCount++;
        }
    }

    @Override
    public void bannerRemoved(long id) {
        CatalogMaps m = writing;
        Long key = id;
        if (m.banners.containsKey(key)) {
            m.banners.remove(key);
            hot.changed();
            m.bannerCount--;
        }
    }

    @Override
    public void publisher(long id) {
        CatalogMaps m = writing;
        Long key = id;
        if (m.publishers.contains(key)) {
            return;
        }
        if (m.publisherCount >= limits.maxPublishers()) {
            throw new CatalogFullException("publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
        }
        try {
            m.publishers.add(key);
        } catch (IllegalStateException e) {
            throw full(e, "publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
        }
        hot.changed();
        m.publisherCount++;
    }

    @Override
    public void publisherRemoved(long id) {
        CatalogMaps m = writing;
        if (m.publishers.remove(id)) {
            hot.changed();
            m.publisherCount--;
        }
    }

    @Override
    public void close() {
        try {
            discardReload();
            serving.close();
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
        return "CatalogStore[" + dir + ", version " + version + ", " + campaignCount() + " campaigns, " + bannerCount()
                + " banners, " + publisherCount() + " publishers]";
    }

    // ---- internals ------------------------------------------------------------------------------

    private void checkLimits() {
        if (bannerCount() > limits.maxBanners()) {
            throw new CatalogFullException("banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
        }
        if (publisherCount() > limits.maxPublishers()) {
            throw new CatalogFullException("publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
        }
        if (campaignCount() > limits.maxCampaigns()) {
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
        p.setProperty("generation", Integer.toString(writing.generation));
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
    private static void resize(Path dir, int generation, CatalogLimits old, CatalogLimits limits, boolean recover) throws IOException {
        log.info("catalog limits changed ({} -> {}): copying the catalog files to the new size", old, limits);
        Path banners = dir.resolve(CatalogMaps.file(BANNERS_FILE, generation));
        Path publishers = dir.resolve(CatalogMaps.file(PUBLISHERS_FILE, generation));
        Path campaigns = dir.resolve(CatalogMaps.file(CAMPAIGNS_FILE, generation));
        Path bannersNew = Path.of(banners + ".new");
        Path publishersNew = Path.of(publishers + ".new");
        Path campaignsNew = Path.of(campaigns + ".new");
        for (Path p : new Path[] {bannersNew, publishersNew, campaignsNew}) {
            Files.deleteIfExists(p);
        }
        try (ChronicleMap<Long, BannerEntry> from = CatalogMaps.persisted(CatalogMaps.bannerMap(old), banners, recover);
             ChronicleMap<Long, BannerEntry> to = CatalogMaps.persisted(CatalogMaps.bannerMap(limits), bannersNew, false)) {
            if (from.longSize() > limits.maxBanners()) {
                throw new CatalogFullException("banners", limits.maxBanners(), CatalogLimits.MAX_BANNERS);
            }
            from.forEachEntry(e -> to.put(e.key().get(), e.value().get()));
        }
        try (ChronicleSet<Long> from = CatalogMaps.persisted(CatalogMaps.publisherSet(old), publishers, recover);
             ChronicleSet<Long> to = CatalogMaps.persisted(CatalogMaps.publisherSet(limits), publishersNew, false)) {
            if (from.size() > limits.maxPublishers()) {
                throw new CatalogFullException("publishers", limits.maxPublishers(), CatalogLimits.MAX_PUBLISHERS);
            }
            to.addAll(from);
        }
        try (ChronicleMap<Long, CampaignEntry> from = CatalogMaps.persisted(CatalogMaps.campaignMap(old), campaigns, recover);
             ChronicleMap<Long, CampaignEntry> to = CatalogMaps.persisted(CatalogMaps.campaignMap(limits), campaignsNew, false)) {
            if (from.longSize() > limits.maxCampaigns()) {
                throw new CatalogFullException("campaigns", limits.maxCampaigns(), CatalogLimits.MAX_CAMPAIGNS);
            }
            from.forEachEntry(e -> to.put(e.key().get(), e.value().get()));
        }
        move(bannersNew, banners);
        move(publishersNew, publishers);
        move(campaignsNew, campaigns);
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
