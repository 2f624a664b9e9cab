package io.adgrid.gateway.catalog;

/**
 * How many entries the gateway's off-heap catalog is sized for. Each limit names its setting, so a
 * catalog that outgrows one says which setting to raise.
 */
public record CatalogLimits(long maxBanners, long maxPublishers, long maxCampaigns) {

    public static final String MAX_BANNERS = "ADGRID_CATALOG_MAXBANNERS (adgrid.catalog.max-banners)";
    public static final String MAX_PUBLISHERS = "ADGRID_CATALOG_MAXPUBLISHERS (adgrid.catalog.max-publishers)";
    public static final String MAX_CAMPAIGNS = "ADGRID_CATALOG_MAXCAMPAIGNS (adgrid.catalog.max-campaigns)";

    public CatalogLimits {
        if (maxBanners < 1 || maxPublishers < 1 || maxCampaigns < 1) {
            throw new IllegalArgumentException("catalog limits must be positive: " + MAX_BANNERS + "=" + maxBanners
                    + ", " + MAX_PUBLISHERS + "=" + maxPublishers + ", " + MAX_CAMPAIGNS + "=" + maxCampaigns);
        }
    }

    public static CatalogLimits defaults() {
        return new CatalogLimits(1_000_000, 100_000, 10_000);
    }
}
