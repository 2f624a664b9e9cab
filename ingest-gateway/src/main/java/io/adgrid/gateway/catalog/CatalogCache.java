package io.adgrid.gateway.catalog;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Collection;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;
import io.adgrid.catalog.CatalogChanges;
import io.adgrid.catalog.CatalogSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the gateway's {@link CatalogStore} in step with the {@link CatalogSource}: validation
 * reads the store and never waits for the database. Each refresh asks only for the changes newer
 * than the version the store holds, so ten million banners are loaded once, not every interval.
 *
 * <p>A store that already holds a catalog (from the file) serves at once and is refreshed in the
 * background; an empty one is loaded before {@link #start} returns when the source answers. A
 * refresh that fails keeps serving what the store holds: the source being down is a warning, a
 * catalog larger than the configured limits an error naming the setting to raise; both are counted
 * in {@code adgrid.catalog.refresh.failures}. Nothing here stops the gateway after it started.
 */
public final class CatalogCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogCache.class);
    private static final long ERROR_LOG_INTERVAL_MS = 60_000;

    private final CatalogStore store;
    private final CatalogSource source;
    private final ScheduledExecutorService refresher;
    private final Counter sourceFailures;
    private final Counter fullFailures;
    private final Counter changes;
    private final AtomicLong lastChanges = new AtomicLong();
    private long lastErrorLog;

    public CatalogCache(CatalogStore store, CatalogSource source) {
        this(store, source, new SimpleMeterRegistry());
    }

    public CatalogCache(CatalogStore store, CatalogSource source, MeterRegistry metrics) {
        this.store = store;
        this.source = source;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-catalog-refresh");
            t.setDaemon(true);
            return t;
        });
        this.sourceFailures = Counter.builder("adgrid.catalog.refresh.failures").tag("reason", "source_unavailable")
                .description("Catalog refreshes that failed; the gateway kept serving the catalog it held").register(metrics);
        this.fullFailures = Counter.builder("adgrid.catalog.refresh.failures").tag("reason", "catalog_full")
                .description("Catalog refreshes that failed; the gateway kept serving the catalog it held").register(metrics);
        this.changes = Counter.builder("adgrid.catalog.changes")
                .description("Catalog rows (upserts and removals) applied by refreshes").register(metrics);
        Gauge.builder("adgrid.catalog.entries", store, CatalogStore::bannerCount).tag("kind", "banner")
                .description("Entries in the gateway's catalog").register(metrics);
        Gauge.builder("adgrid.catalog.entries", store, CatalogStore::publisherCount).tag("kind", "publisher")
                .description("Entries in the gateway's catalog").register(metrics);
        Gauge.builder("adgrid.catalog.entries", store, CatalogStore::campaignCount).tag("kind", "campaign")
                .description("Entries in the gateway's catalog").register(metrics);
        Gauge.builder("adgrid.catalog.version", store, CatalogStore::version)
                .description("The catalog change version the gateway holds").register(metrics);
    }

    /**
     * Loads an empty store now (so a new gateway starts with a catalog) and refreshes every
     * {@code interval}; a store that holds a catalog is refreshed at once, in the background.
     *
     * @throws CatalogFullException when the first load does not fit the configured limits
     */
    public CatalogCache start(Duration interval) {
        long delay = interval.toMillis();
        if (store.isLoaded()) {
            log.info("catalog from {}: {} campaigns, {} banners, {} publishers (version {}); refreshing from the database in the background",
                    store.directory(), store.campaignCount(), store.bannerCount(), store.publisherCount(), store.version());
            refresher.execute(this::refresh);
        } else {
            try {
                refreshOrThrow();
            } catch (CatalogFullException e) {
                close();
                throw e;
            } catch (RuntimeException e) {
                sourceFailures.increment();
                log.warn("catalog not loaded yet ({}): retrying every {} ms", e.getMessage(), delay);
            }
        }
        refresher.scheduleWithFixedDelay(this::refresh, delay, delay, TimeUnit.MILLISECONDS);
        return this;
    }

    /** One refresh; never throws (failures are logged and counted). */
    public void refresh() {
        try {
            refreshOrThrow();
        } catch (CatalogFullException e) {
            fullFailures.increment();
            logError("catalog refresh failed, still serving version " + store.version() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            sourceFailures.increment();
            log.warn("catalog refresh failed, still serving version {}: {}", store.version(), e.getMessage());
        }
    }

    private synchronized void refreshOrThrow() {
        boolean first = !store.isLoaded();
        long before = store.version();
        Counting counting = new Counting(store);
        long version;
        try {
            version = source.changesSince(before, counting);
        } catch (RuntimeException e) {
            store.discardReload(); // a whole reload cut short is dropped: readers keep the catalog they had
            throw e;
        }
        if (version != before || first || counting.reset) {
            store.markLoaded(version);
        }
        lastChanges.set(counting.rows);
        changes.increment(counting.rows);
        if (first || counting.reset) {
            log.info("catalog loaded into {}: {} campaigns, {} banners, {} publishers (version {})", store.directory(),
                    store.campaignCount(), store.bannerCount(), store.publisherCount(), version);
        } else if (counting.rows > 0) {
            log.info("catalog refreshed: {} changes (version {} -> {}); {} campaigns, {} banners, {} publishers",
                    counting.rows, before, version, store.campaignCount(), store.bannerCount(), store.publisherCount());
        }
    }

    private void logError(String message) {
        long now = System.currentTimeMillis();
        if (now - lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
            lastErrorLog = now;
            log.error(message);
        }
    }

    public boolean isLoaded() {
        return store.isLoaded();
    }

    /** What validation reads. */
    public CatalogView view() {
        return store;
    }

    public CatalogStore store() {
        return store;
    }

    /** Rows the last successful refresh applied (a full load applies the whole catalog, a quiet refresh 0). */
    public long lastRefreshChanges() {
        return lastChanges.get();
    }

    /** Stops refreshing and closes the store. */
    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            refresher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }

    /** Passes changes to the store and counts them. */
    private static final class Counting implements CatalogChanges {
        private final CatalogChanges to;
        long rows;
        boolean reset;

        Counting(CatalogChanges to) {
            this.to = to;
        }

        @Override
        public void reset() {
            reset = true;
            log.warn("the catalog source does not know the version this gateway holds (a new or restored database): "
                    + "reloading it whole beside the one serving");
            to.reset();
        }

        @Override
        public void campaign(Campaign campaign) {
            rows++;
            to.campaign(campaign);
        }

        @Override
        public void campaignRemoved(long id) {
            rows++;
            to.campaignRemoved(id);
        }

        @Override
        public void banner(long id, long campaignId, String landingUrl) {
            rows++;
            to.banner(id, campaignId, landingUrl);
        }

        @Override
        public void bannerRemoved(long id) {
            rows++;
            to.bannerRemoved(id);
        }

        @Override
        public void publisher(long id) {
            rows++;
            to.publisher(id);
        }

        @Override
        public void publisherRemoved(long id) {
            rows++;
            to.publisherRemoved(id);
        }

        /** Streamed whole on every refresh: not counted as changes. */
        @Override
        public void senderKeys(Collection<SenderKey> all) {
            to.senderKeys(all);
        }
    }
}
