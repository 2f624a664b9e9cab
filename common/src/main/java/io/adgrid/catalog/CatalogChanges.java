package io.adgrid.catalog;

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
}
