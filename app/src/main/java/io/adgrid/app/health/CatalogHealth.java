package io.adgrid.app.health;

import io.adgrid.gateway.catalog.CatalogCache;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** The gateway's catalog is loaded: before that, every valid beacon would be answered 404. */
public final class CatalogHealth implements HealthIndicator {

    private final CatalogCache catalog;

    public CatalogHealth(CatalogCache catalog) {
        this.catalog = catalog;
    }

    @Override
    public Health health() {
        return catalog.isLoaded() ? Health.up().build()
                : Health.down().withDetail("reason", "the catalog is not loaded yet (PostgreSQL not reached since start)").build();
    }
}
