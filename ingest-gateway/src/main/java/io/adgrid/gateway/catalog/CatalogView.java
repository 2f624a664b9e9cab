package io.adgrid.gateway.catalog;

import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;

/** What validation reads from the catalog. Lookups never touch the database. */
public interface CatalogView {

    /** Reads banner {@code id} into {@code into}; false (and {@code into} unchanged) when it is unknown. */
    boolean banner(long id, BannerEntry into);

    boolean hasPublisher(long id);

    /** The campaign with its signing keys (held on heap: campaigns are few), or null. */
    Campaign campaign(long id);

    /** The sender key with this kid (issue 23), disabled or not, or null. */
    SenderKey senderKey(String kid);

    /** Whether the sender keys were read from the source since this process started (else no kid is known yet). */
    boolean senderKeysLoaded();
}
