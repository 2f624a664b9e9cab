package io.adgrid.gateway.catalog;

import io.adgrid.catalog.Banner;
import net.openhft.chronicle.bytes.BytesIn;
import net.openhft.chronicle.bytes.BytesMarshallable;
import net.openhft.chronicle.bytes.BytesOut;

/**
 * A banner's value in the off-heap map: its campaign and landing URL. Mutable on purpose: a lookup
 * reads into a reused instance ({@code getUsing}), so validating a beacon allocates no banner.
 */
public final class BannerEntry implements BytesMarshallable {

    private long campaignId;
    private final StringBuilder landingUrl = new StringBuilder(96);

    public BannerEntry set(long campaignId, CharSequence landingUrl) {
        this.campaignId = campaignId;
        this.landingUrl.setLength(0);
        this.landingUrl.append(landingUrl);
        return this;
    }

    public long campaignId() {
        return campaignId;
    }

    public CharSequence landingUrl() {
        return landingUrl;
    }

    public Banner toBanner(long id) {
        return new Banner(id, campaignId, landingUrl.toString());
    }

    @Override
    public void readMarshallable(BytesIn<?> in) {
        campaignId = in.readLong();
        in.readUtf8(landingUrl);
    }

    @Override
    public void writeMarshallable(BytesOut<?> out) {
        out.writeLong(campaignId);
        out.writeUtf8(landingUrl);
    }

    @Override
    public String toString() {
        return "BannerEntry[campaignId=" + campaignId + ", landingUrl=" + landingUrl + "]";
    }
}
