package io.adgrid.gateway.catalog;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import io.adgrid.catalog.CatalogSnapshot;
import io.adgrid.catalog.CatalogSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's copy of the catalog: validation never waits for the database. Reloaded whole in
 * the background; a failed reload keeps the last good copy.
 */
public final class CatalogCache implements Supplier<CatalogSnapshot>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogCache.class);

    private final CatalogSource source;
    private final ScheduledExecutorService refresher;
    private volatile CatalogSnapshot current = CatalogSnapshot.empty();
    private volatile boolean loaded;

    public CatalogCache(CatalogSource source) {
        this.source = source;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-catalog-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    /** Loads now (so the gateway starts with a catalog) and then every {@code interval}. */
    public CatalogCache start(Duration interval) {
        refresh();
        refresher.scheduleWithFixedDelay(this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public void refresh() {
        try {
            CatalogSnapshot next = source.load();
            if (!loaded || next.bannerCount() != current.bannerCount() || next.campaignCount() != current.campaignCount()) {
                log.info("catalog: {} campaigns, {} banners, {} publishers", next.campaignCount(), next.bannerCount(), next.publisherCount());
            }
            current = next;
            loaded = true;
        } catch (RuntimeException e) {
            log.warn("catalog reload failed, keeping the last copy: {}", e.getMessage());
        }
    }

    public boolean isLoaded() {
        return loaded;
    }

    @Override
    public CatalogSnapshot get() {
        return current;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
