package io.adgrid.bench;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.catalog.Banner;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.CatalogSnapshot;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.signing.BeaconSigner;

/**
 * The demo catalog (CONTRACT section 3: campaigns 1..10 with secret {@code demo-secret-c}, banners
 * 1..1000 in campaign ((b-1) % 10) + 1, publishers 1..100) and the validator over it. The one place
 * the benchmarks build a catalog or sign a beacon: when the catalog's storage changes, only this
 * class changes.
 */
public final class BenchCatalog implements AutoCloseable {

    public static final int CAMPAIGNS = 10;
    public static final int BANNERS = 1000;
    public static final int PUBLISHERS = 100;

    private final CatalogSnapshot snapshot;

    private BenchCatalog(CatalogSnapshot snapshot) {
        this.snapshot = snapshot;
    }

    public static BenchCatalog demo() {
        List<Campaign> campaigns = new ArrayList<>();
        for (long c = 1; c <= CAMPAIGNS; c++) {
            campaigns.add(Campaign.of(c, "Demo campaign " + c, "USD", secretOf(c)));
        }
        List<Banner> banners = new ArrayList<>();
        for (long b = 1; b <= BANNERS; b++) {
            banners.add(new Banner(b, campaignOf(b), "https://example.com/landing/" + b));
        }
        List<Long> publishers = new ArrayList<>();
        for (long p = 1; p <= PUBLISHERS; p++) {
            publishers.add(p);
        }
        return new BenchCatalog(new CatalogSnapshot(campaigns, banners, publishers));
    }

    public static long campaignOf(long banner) {
        return ((banner - 1) % CAMPAIGNS) + 1;
    }

    static String secretOf(long campaign) {
        return "demo-secret-" + campaign;
    }

    /** The gateway's validator over this catalog, with the default {@code ts} window. */
    public BeaconValidator validator(Clock clock) {
        return new BeaconValidator(() -> snapshot, clock, ValidationSettings.defaults());
    }

    /** A signed impression as the gateway receives it: {@code /i?b=..&p=..&ts=..&n=..&sig=..}. */
    public String signedImpressionUri(long banner, long publisher, long tsMillis, String nonce) {
        Map<String, String> params = new TreeMap<>();
        params.put("b", Long.toString(banner));
        params.put("p", Long.toString(publisher));
        params.put("ts", Long.toString(tsMillis));
        params.put("n", nonce);
        String sig = BeaconSigner.sign(BeaconSigner.key(secretOf(campaignOf(banner))), params);
        return "/i?b=" + banner + "&p=" + publisher + "&ts=" + tsMillis + "&n=" + nonce + "&sig=" + sig;
    }

    @Override
    public void close() {
        // Nothing to release for an on-heap snapshot.
    }
}
