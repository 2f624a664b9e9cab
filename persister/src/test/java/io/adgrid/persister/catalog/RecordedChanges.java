package io.adgrid.persister.catalog;

import java.util.ArrayList;
import java.util.List;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.CatalogChanges;

/** Records what a CatalogSource streamed, in order, as short strings ("banner 7 1 https://...", "-banner 7"). */
final class RecordedChanges implements CatalogChanges {

    final List<String> rows = new ArrayList<>();
    final List<Campaign> campaigns = new ArrayList<>();
    List<io.adgrid.catalog.SenderKey> senderKeys = List.of();

    @Override
    public void reset() {
        rows.add("reset");
    }

    @Override
    public void campaign(Campaign campaign) {
        campaigns.add(campaign);
        rows.add("campaign " + campaign.id() + " " + campaign.currency() + " " + new java.util.TreeSet<>(campaign.keys().keySet()));
    }

    @Override
    public void campaignRemoved(long id) {
        rows.add("-campaign " + id);
    }

    @Override
    public void banner(long id, long campaignId, String landingUrl) {
        rows.add("banner " + id + " " + campaignId + " " + landingUrl);
    }

    @Override
    public void bannerRemoved(long id) {
        rows.add("-banner " + id);
    }

    @Override
    public void publisher(long id) {
        rows.add("publisher " + id);
    }

    @Override
    public void publisherRemoved(long id) {
        rows.add("-publisher " + id);
    }

    /** Sender keys are streamed whole on every call: kept apart from the rows, the last call's. */
    @Override
    public void senderKeys(java.util.Collection<io.adgrid.catalog.SenderKey> all) {
        senderKeys = List.copyOf(all);
    }
}
