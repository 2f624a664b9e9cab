package io.adgrid.catalog;

/** Where the catalog comes from (PostgreSQL in production). */
@FunctionalInterface
public interface CatalogSource {
    CatalogSnapshot load();
}
