package io.adgrid.catalog;

/**
 * Where the catalog comes from (PostgreSQL in production). Every change to the catalog has a
 * version, increasing; a reader keeps the last version it applied and asks only for what is newer,
 * so a refresh costs the changes, not the catalog.
 */
@FunctionalInterface
public interface CatalogSource {

    /**
     * Streams every change newer than {@code sinceVersion} into {@code into}, from one consistent
     * snapshot: removals first, then campaigns, banners and publishers, then every sender key whole
     * ({@link CatalogChanges#senderKeys}, whatever {@code sinceVersion} is). {@code sinceVersion} 0 is a
     * full load. When the source has never handed out {@code sinceVersion} (a new, empty or restored
     * database), it calls {@link CatalogChanges#reset()} and streams everything.
     *
     * @return the version {@code into} is now up to date with (at least {@code sinceVersion} unless reset)
     */
    long changesSince(long sinceVersion, CatalogChanges into);
}
