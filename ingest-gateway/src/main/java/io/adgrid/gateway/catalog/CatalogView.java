package io.adgrid.gateway.catalog;

import io.adgrid.catalog.Campaign;

/** What validation reads from the catalog. Lookups never touch the database. */
public interface CatalogView {

    /** Reads banner {@code id} into {@code into}; false (and {@code into} unchanged) when it is unknown. */
    boolean banner(long id, BannerEntry into);

    boolean hasPublisher(long id);

    /** The campaign with its signing keys (held on heap: campaigns are few), or null. */
    Campaign campaign(long id);
}
