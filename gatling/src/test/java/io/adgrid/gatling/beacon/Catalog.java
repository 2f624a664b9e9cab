package io.adgrid.gatling.beacon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.random.RandomGenerator;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.gatling.config.Settings;

/**
 * The catalog the simulations sign for: which banners exist, their campaign, each campaign's secret,
 * how many publishers. By default the demo catalog of {@code ./adgrid run --demo} (CONTRACT section 3).
 * <ul>
 *   <li>{@code -Dcampaigns=10 -Dbanners=1000 -Dpublishers=100}: the demo layout (banner b in campaign
 *       ((b-1) % campaigns) + 1, publishers 1..N) with other sizes;</li>
 *   <li>{@code -DsecretPrefix=demo-secret-}: campaign c signs with prefix + c; {@code -Dsecret.3=...} overrides one;</li>
 *   <li>{@code -DcatalogFile=path}: lines {@code banner,campaign,secret} ({@code #} comments) for any catalog;
 *       publishers are still 1..{@code -Dpublishers};</li>
 *   <li>{@code -DlandingPrefix=https://example.com/landing/}: a click must redirect to prefix + banner
 *       (the demo's landing pages; empty to check only that a Location is given). Default: the demo's
 *       prefix for the layout, none with a catalog file.</li>
 * </ul>
 */
public final class Catalog {

    private final long[] banners;
    private final Map<Long, Long> campaignOfBanner;
    private final Map<Long, SecretKeySpec> keys;
    private final long[] campaigns;
    private final int publishers;
    private final String landingPrefix;
    private final String description;

    private Catalog(Map<Long, Long> campaignOfBanner, Map<Long, String> secrets, int publishers, String landingPrefix,
            String description) {
        if (campaignOfBanner.isEmpty()) {
            throw new IllegalArgumentException("the catalog has no banners");
        }
        if (publishers < 1) {
            throw new IllegalArgumentException("the catalog needs at least one publisher");
        }
        this.campaignOfBanner = Map.copyOf(campaignOfBanner);
        this.banners = campaignOfBanner.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        Map<Long, SecretKeySpec> k = new HashMap<>();
        secrets.forEach((c, s) -> k.put(c, Signer.key(s)));
        this.keys = Map.copyOf(k);
        this.campaigns = new TreeMap<>(secrets).keySet().stream().mapToLong(Long::longValue).toArray();
        for (long c : campaignOfBanner.values()) {
            if (!keys.containsKey(c)) {
                throw new IllegalArgumentException("campaign " + c + " has banners but no secret");
            }
        }
        this.publishers = publishers;
        this.landingPrefix = landingPrefix == null || landingPrefix.isEmpty() ? null : landingPrefix;
        this.description = description;
    }

    /** The demo catalog: campaigns 1..10 ("demo-secret-c"), banners 1..1000, publishers 1..100. */
    public static Catalog demo() {
        return layout(10, 1000, 100, c -> "demo-secret-" + c, "https://example.com/landing/");
    }

    public static Catalog fromSystemProperties() {
        int publishers = Settings.integer("publishers", 100);
        String file = Settings.string("catalogFile", null);
        if (file != null) {
            return fromFile(Path.of(file), publishers, System.getProperty("landingPrefix", ""));
        }
        String prefix = Settings.string("secretPrefix", "demo-secret-");
        return layout(Settings.integer("campaigns", 10), Settings.integer("banners", 1000), publishers,
                c -> Settings.string("secret." + c, prefix + c),
                System.getProperty("landingPrefix", "https://example.com/landing/"));
    }

    public static Catalog layout(int campaigns, int banners, int publishers, LongFunction<String> secretOf,
            String landingPrefix) {
        if (campaigns < 1 || banners < campaigns) {
            throw new IllegalArgumentException("need campaigns >= 1 and banners >= campaigns");
        }
        Map<Long, Long> campaignOf = new HashMap<>();
        for (long b = 1; b <= banners; b++) {
            campaignOf.put(b, ((b - 1) % campaigns) + 1);
        }
        Map<Long, String> secrets = new HashMap<>();
        for (long c = 1; c <= campaigns; c++) {
            secrets.put(c, secretOf.apply(c));
        }
        return new Catalog(campaignOf, secrets, publishers, landingPrefix,
                campaigns + " campaigns, " + banners + " banners (b in campaign ((b-1) % " + campaigns + ") + 1), publishers 1.." + publishers);
    }

    public static Catalog fromFile(Path file, int publishers, String landingPrefix) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read -DcatalogFile=" + file + ": " + e.getMessage(), e);
        }
        Map<Long, Long> campaignOf = new HashMap<>();
        Map<Long, String> secrets = new HashMap<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(",", 3);
            if (f.length != 3) {
                throw new IllegalArgumentException(file + " line " + n + ": expected banner,campaign,secret");
            }
            long banner = Long.parseLong(f[0].strip());
            long campaign = Long.parseLong(f[1].strip());
            String secret = f[2].strip();
            String previous = secrets.putIfAbsent(campaign, secret);
            if (previous != null && !previous.equals(secret)) {
                throw new IllegalArgumentException(file + " line " + n + ": campaign " + campaign + " has two secrets");
            }
            campaignOf.put(banner, campaign);
        }
        return new Catalog(campaignOf, secrets, publishers, landingPrefix,
                campaignOf.size() + " banners in " + secrets.size() + " campaigns from " + file + ", publishers 1.." + publishers);
    }

    public long campaignOf(long banner) {
        Long c = campaignOfBanner.get(banner);
        if (c == null) {
            throw new IllegalArgumentException("banner " + banner + " is not in the catalog");
        }
        return c;
    }

    public boolean hasBanner(long banner) {
        return campaignOfBanner.containsKey(banner);
    }

    public SecretKeySpec keyOf(long campaign) {
        SecretKeySpec k = keys.get(campaign);
        if (k == null) {
            throw new IllegalArgumentException("campaign " + campaign + " is not in the catalog");
        }
        return k;
    }

    public long[] campaigns() {
        return campaigns.clone();
    }

    public int bannerCount() {
        return banners.length;
    }

    public int publishers() {
        return publishers;
    }

    /** A banner, skewed like real traffic: a few popular banners, a long tail (P(rank < x) = sqrt(x / n)). */
    public long popularBanner(RandomGenerator random) {
        double u = random.nextDouble();
        return banners[(int) (banners.length * u * u)];
    }

    public long publisher(RandomGenerator random) {
        return 1 + random.nextInt(publishers);
    }

    /** The campaign's banners, in id order (none when it has no banner). */
    public long[] bannersOf(long campaign) {
        return Arrays.stream(banners).filter(b -> campaignOfBanner.get(b) == campaign).toArray();
    }

    /** Another banner of the same campaign, or any other banner when the campaign has only one. */
    public long otherBannerOfSameCampaign(long banner) {
        long campaign = campaignOf(banner);
        int i = Arrays.binarySearch(banners, banner);
        for (int k = 1; k < banners.length; k++) {
            long other = banners[(i + k) % banners.length];
            if (campaignOf(other) == campaign) {
                return other;
            }
        }
        return banners[(i + 1) % banners.length];
    }

    /** Another campaign (for a signature made with the wrong secret), or the same when there is only one. */
    public long otherCampaign(long campaign) {
        for (long c : campaigns) {
            if (c != campaign) {
                return c;
            }
        }
        return campaign;
    }

    /** Where a click on the banner must land, or null when the catalog does not say. */
    public String landingOf(long banner) {
        return landingPrefix == null ? null : landingPrefix + banner;
    }

    /** A banner id no catalog of this run has. */
    public long unknownBanner() {
        return banners[banners.length - 1] + 1_000_000_007L;
    }

    @Override
    public String toString() {
        return description;
    }
}
