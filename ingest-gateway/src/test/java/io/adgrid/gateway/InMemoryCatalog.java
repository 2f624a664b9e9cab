package io.adgrid.gateway;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import io.adgrid.catalog.Banner;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;
import io.adgrid.gateway.catalog.BannerEntry;
import io.adgrid.gateway.catalog.CatalogView;

/** A small on-heap catalog for unit tests (the product's catalog is the off-heap CatalogStore). */
public final class InMemoryCatalog implements CatalogView {

    private final Map<Long, Campaign> campaigns = new HashMap<>();
    private final Map<Long, Banner> banners = new HashMap<>();
    private final Set<Long> publishers;
    private volatile Map<String, SenderKey> senderKeys = new HashMap<>();

    public InMemoryCatalog(Collection<Campaign> campaigns, Collection<Banner> banners, Collection<Long> publishers) {
        campaigns.forEach(c -> this.campaigns.put(c.id(), c));
        banners.forEach(b -> this.banners.put(b.id(), b));
        this.publishers = new HashSet<>(publishers);
    }

    @Override
    public boolean banner(long id, BannerEntry into) {
        Banner b = banners.get(id);
        if (b == null) {
            return false;
        }
        into.set(b.campaignId(), b.landingUrl());
        return true;
    }

    /** The banner, or null: for tests that work out what the gateway should answer. */
    public Banner banner(long id) {
        return banners.get(id);
    }

    @Override
    public boolean hasPublisher(long id) {
        return publishers.contains(id);
    }

    @Override
    public Campaign campaign(long id) {
        return campaigns.get(id);
    }

    @Override
    public SenderKey senderKey(String kid) {
        return senderKeys == null ? null : senderKeys.get(kid);
    }

    @Override
    public boolean senderKeysLoaded() {
        return senderKeys != null;
    }

    /** Replaces the sender keys, as a catalog refresh does (null: none read yet). */
    public InMemoryCatalog senderKeys(SenderKey... keys) {
        if (keys == null) {
            senderKeys = null;
        } else {
            senderKeys = new HashMap<>();
            for (SenderKey k : keys) {
                senderKeys.put(k.kid(), k);
            }
        }
        return this;
    }
}
