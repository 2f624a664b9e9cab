package io.adgrid.catalog;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** An immutable view of the catalog, swapped whole on refresh so readers never see half an update. */
public final class CatalogSnapshot {

    private final Map<Long, Campaign> campaigns;
    private final Map<Long, Banner> banners;
    private final Set<Long> publishers;

    public CatalogSnapshot(Collection<Campaign> campaigns, Collection<Banner> banners, Collection<Long> publishers) {
        this.campaigns = new HashMap<>(campaigns.size() * 2);
        campaigns.forEach(c -> this.campaigns.put(c.id(), c));
        this.banners = new HashMap<>(banners.size() * 2);
        banners.forEach(b -> this.banners.put(b.id(), b));
        this.publishers = new HashSet<>(publishers);
    }

    public static CatalogSnapshot empty() {
        return new CatalogSnapshot(Set.of(), Set.of(), Set.of());
    }

    public Campaign campaign(long id) {
        return campaigns.get(id);
    }

    public Banner banner(long id) {
        return banners.get(id);
    }

    public boolean hasPublisher(long id) {
        return publishers.contains(id);
    }

    public int bannerCount() {
        return banners.size();
    }

    public int campaignCount() {
        return campaigns.size();
    }

    public int publisherCount() {
        return publishers.size();
    }
}
