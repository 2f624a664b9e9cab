package io.adgrid.catalog;

import java.util.Collection;

/** What a {@link CatalogSource} streams: upserts and removals, applied in the order given. */
public interface CatalogChanges {

    /** Forget everything held: what follows is the whole catalog. */
    void reset();

    /** Adds or replaces a campaign, with all of its keys. */
    void campaign(Campaign campaign);

    void campaignRemoved(long id);

    void banner(long id, long campaignId, String landingUrl);

    void bannerRemoved(long id);

    void publisher(long id);

    void publisherRemoved(long id);

    /**
     * Replaces every sender key (issue 23): a source streams them whole on every call, since they are
     * few and a reader that starts from a catalog file must learn them all, whatever its version.
     */
    void senderKeys(Collection<SenderKey> all);
}
