package io.adgrid.gateway;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.catalog.Banner;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;
import io.adgrid.catalog.SigningKey;
import io.adgrid.event.EventType;
import io.adgrid.signing.BeaconSigner;

/**
 * A small catalog and a fixed clock for gateway tests, and helpers that sign beacons the way an
 * ad server does (with {@link BeaconSigner#sign}).
 */
public final class TestCatalog {

    /** The gateway's "now" in every test: 2023-11-14T22:13:20Z. */
    public static final long NOW = 1_700_000_000_000L;
    public static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);

    public static final Campaign CAMPAIGN_1 = Campaign.of(1, "EUR", "demo-secret-1");
    public static final Campaign CAMPAIGN_2 = Campaign.of(2, "USD", "demo-secret-2");
    /**
     * Campaign 3 mid-rotation: kid "0" retired a second before {@link #NOW}, kid "k2" retires a
     * minute after it (the overlap), kid "k3" never.
     */
    public static final Campaign CAMPAIGN_3 = new Campaign(3, "USD", Map.of(
            "0", SigningKey.of("0", "old-secret-3", NOW - 1_000),
            "k2", SigningKey.of("k2", "second-secret-3", NOW + 60_000),
            "k3", SigningKey.of("k3", "third-secret-3")));
    /** Campaign 4 signs with a legacy key (it also accepts v1 signatures, CONTRACT section 4). */
    public static final Campaign CAMPAIGN_4_LEGACY = new Campaign(4, "EUR", Map.of(
            "0", SigningKey.of("0", "legacy-secret-4".getBytes(java.nio.charset.StandardCharsets.UTF_8), SigningKey.NEVER, true)));
    /** Campaign 5 sets its own click attribution: ids in {@code ref}, sales counted up to an hour after their click. */
    public static final Campaign CAMPAIGN_5_OWN_ATTRIBUTION = new Campaign(5, "USD",
            Map.of("0", SigningKey.of("0", "demo-secret-5")), new io.adgrid.attribution.Attribution("ref", java.time.Duration.ofHours(1)));
    /** Banner 50 of campaign 5 (its own attribution). */
    public static final Banner BANNER_50 = new Banner(50, 5, "https://example.com/landing/50");
    /** Banner 40 of campaign 4 (legacy key). */
    public static final Banner BANNER_40_LEGACY = new Banner(40, 4, "https://example.com/landing/40");
    /** Banner 10 of campaign 3. */
    public static final Banner BANNER_10 = new Banner(10, 3, "https://example.com/landing/10");
    /** Banner 7 of campaign 1. */
    public static final Banner BANNER_7 = new Banner(7, 1, "https://example.com/landing/7");
    /** Banner 8 of campaign 2, with a landing URL that carries its own query. */
    public static final Banner BANNER_8 = new Banner(8, 2, "https://shop.example.org/p?id=8&utm_source=adgrid");
    /** Banner 9 points at campaign 99, which the catalog does not hold. */
    public static final Banner BANNER_9_ORPHAN = new Banner(9, 99, "https://example.com/landing/9");
    public static final long PUBLISHER_3 = 3;
    public static final long PUBLISHER_4 = 4;

    /** A sender key (issue 23) that may send campaigns 1 and 2. */
    public static final String SENDER_SECRET = "sender-secret-1-0123456789";
    public static final SenderKey SENDER_1 = new SenderKey("s1", SENDER_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8), null, 0,
            false, List.of(1L, 2L));
    /** A sender key that may send campaign 1 only. */
    public static final SenderKey SENDER_CAMPAIGN_1 = new SenderKey("s-c1", SENDER_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            null, 0, false, List.of(1L));
    /** A disabled sender key. */
    public static final SenderKey SENDER_DISABLED = new SenderKey("s-off", SENDER_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            null, 0, true, List.of(1L, 2L));

    public static final InMemoryCatalog CATALOG = new InMemoryCatalog(
            List.of(CAMPAIGN_1, CAMPAIGN_2, CAMPAIGN_3, CAMPAIGN_4_LEGACY, CAMPAIGN_5_OWN_ATTRIBUTION),
            List.of(BANNER_7, BANNER_8, BANNER_9_ORPHAN, BANNER_10, BANNER_40_LEGACY, BANNER_50),
            List.of(PUBLISHER_3, PUBLISHER_4)).senderKeys(SENDER_1, SENDER_CAMPAIGN_1, SENDER_DISABLED);

    private TestCatalog() {
    }

    /** Unsigned beacon parameters b, p, ts, n (insertion order kept for readable URLs). */
    public static Map<String, String> beacon(long banner, long publisher, long ts, String nonce) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("b", Long.toString(banner));
        params.put("p", Long.toString(publisher));
        params.put("ts", Long.toString(ts));
        params.put("n", nonce);
        return params;
    }

    /** Unsigned sale parameters b, p, order, amount, ts. */
    public static Map<String, String> sale(long banner, long publisher, String order, String amount, long ts) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("b", Long.toString(banner));
        params.put("p", Long.toString(publisher));
        params.put("order", order);
        params.put("amount", amount);
        params.put("ts", Long.toString(ts));
        return params;
    }

    /** The type a signing helper signs for when none is given: a sale when there is an order, else an impression. */
    private static EventType typeOf(Map<String, String> params) {
        return params.containsKey("order") ? EventType.SALE : EventType.IMPRESSION;
    }

    /** A copy of {@code params} with {@code sig} added, signed (v2) with the campaign's first secret (kid 0) as an impression, or a sale when it has an order. */
    public static Map<String, String> signed(Campaign campaign, Map<String, String> params) {
        return signed(typeOf(params), campaign, params);
    }

    /** A copy of {@code params} with {@code sig} added, signed (v2) for {@code type} with the campaign's first secret (kid 0). */
    public static Map<String, String> signed(EventType type, Campaign campaign, Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sig");
        out.put("sig", BeaconSigner.sign(campaign.key(Campaign.FIRST_KID).spec(), type, out));
        return out;
    }

    /** A copy of {@code params} with {@code sig} added, signed with the v1 string (no type path), as before contract v2. */
    public static Map<String, String> signedV1(Campaign campaign, Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sig");
        out.put("sig", BeaconSigner.signV1(campaign.key(Campaign.FIRST_KID).spec(), out));
        return out;
    }

    /** A copy of {@code params} with {@code kid} and {@code sig} added, signed (v2, impression or sale) with that key of the campaign. */
    public static Map<String, String> signed(Campaign campaign, String kid, Map<String, String> params) {
        return signed(typeOf(params), campaign, kid, params);
    }

    /** A copy of {@code params} with {@code kid} and {@code sig} added, signed (v2) for {@code type} with that key of the campaign. */
    public static Map<String, String> signed(EventType type, Campaign campaign, String kid, Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sig");
        out.put("kid", kid);
        out.put("sig", BeaconSigner.sign(campaign.key(kid).spec(), type, out));
        return out;
    }

    /** A copy of {@code params} with {@code sig} added, signed (v2, impression or sale) with a raw secret. */
    /**
     * Where the gateway redirects a click signed with the campaign's key {@code kid} (these signed params): the
     * banner's landing URL with the click's id in the campaign's parameter, else {@code agclid} (issue 21).
     */
    public static String landingOf(Banner banner, Campaign campaign, String kid, Map<String, String> signedClick) {
        String own = campaign.attribution().clickParam();
        return landingOf(banner, campaign, kid, signedClick, own == null ? "agclid" : own);
    }

    /** The same with the click's id in {@code param}. */
    public static String landingOf(Banner banner, Campaign campaign, String kid, Map<String, String> signedClick, String param) {
        Map<String, String> rendering = new LinkedHashMap<>(signedClick);
        rendering.remove("sig");
        byte[] identity = BeaconSigner.mac(campaign.key(kid).spec(), io.adgrid.signing.CanonicalString.v1(rendering));
        String id = io.adgrid.attribution.ClickId.of(campaign.key(kid).spec(), campaign.id(), kid, banner.id(),
                Long.parseLong(signedClick.get("p")), Long.parseLong(signedClick.get("ts")), identity);
        return banner.landingUrl() + (banner.landingUrl().contains("?") ? "&" : "?") + param + "=" + id;
    }

    public static Map<String, String> signedWith(String secret, Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sig");
        out.put("sig", BeaconSigner.sign(BeaconSigner.key(secret), typeOf(params), out));
        return out;
    }

    /** A copy with one parameter replaced (or added) and the signature left as it was. */
    public static Map<String, String> with(Map<String, String> params, String name, String value) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.put(name, value);
        return out;
    }
}
