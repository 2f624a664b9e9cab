package io.adgrid.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import io.adgrid.catalog.Campaign;
import io.adgrid.gateway.catalog.CatalogLimits;
import io.adgrid.gateway.catalog.CatalogStore;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.signing.BeaconSigner;

/**
 * The demo catalog (CONTRACT section 3: campaigns 1..10 with secret {@code demo-secret-c}, banners
 * 1..1000 in campaign ((b-1) % 10) + 1, publishers 1..100) in the gateway's real off-heap store
 * (Chronicle Map files in a temporary directory), and the validator over it. The one place the
 * benchmarks build a catalog or sign a beacon.
 */
public final class BenchCatalog implements AutoCloseable {

    public static final int CAMPAIGNS = 10;
    public static final int BANNERS = 1000;
    public static final int PUBLISHERS = 100;

    private final Path directory;
    private final CatalogStore store;

    private BenchCatalog(Path directory, CatalogStore store) {
        this.directory = directory;
        this.store = store;
    }

    public static BenchCatalog demo() {
        try {
            Path directory = Files.createTempDirectory("adgrid-bench-catalog");
            CatalogStore store = CatalogStore.open(directory, CatalogLimits.defaults());
            for (long c = 1; c <= CAMPAIGNS; c++) {
                store.campaign(Campaign.of(c, "USD", secretOf(c)));
            }
            for (long b = 1; b <= BANNERS; b++) {
                store.banner(b, campaignOf(b), "https://example.com/landing/" + b);
            }
            for (long p = 1; p <= PUBLISHERS; p++) {
                store.publisher(p);
            }
            store.markLoaded(1);
            return new BenchCatalog(directory, store);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static long campaignOf(long banner) {
        return ((banner - 1) % CAMPAIGNS) + 1;
    }

    static String secretOf(long campaign) {
        return "demo-secret-" + campaign;
    }

    /** The gateway's validator over this catalog, with the default {@code ts} window. */
    public BeaconValidator validator(Clock clock) {
        return new BeaconValidator(store, clock, ValidationSettings.defaults());
    }

    /** A signed impression as the gateway receives it: {@code /i?b=..&p=..&ts=..&n=..&sig=..}. */
    public String signedImpressionUri(long banner, long publisher, long tsMillis, String nonce) {
        Map<String, String> params = new TreeMap<>();
        params.put("b", Long.toString(banner));
        params.put("p", Long.toString(publisher));
        params.put("ts", Long.toString(tsMillis));
        params.put("n", nonce);
        String sig = BeaconSigner.sign(BeaconSigner.key(secretOf(campaignOf(banner))), io.adgrid.event.EventType.IMPRESSION, params);
        return "/i?b=" + banner + "&p=" + publisher + "&ts=" + tsMillis + "&n=" + nonce + "&sig=" + sig;
    }

    @Override
    public void close() {
        store.close();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
