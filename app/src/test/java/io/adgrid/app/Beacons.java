package io.adgrid.app;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.event.EventType;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.CanonicalString;
import io.netty.handler.codec.http.QueryStringDecoder;

/** Signs beacons (contract v2) for the demo catalog the way an ad server would. */
final class Beacons {

    /**
     * What the tests' requests say they are: beacons come from browsers, and the gateway counts a
     * known robot's (Java's own HttpClient is one: {@code Java-http-client/17}) as invalid.
     */
    static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private Beacons() {
    }

    /** A request as a browser sends it (its User-Agent a browser's). */
    static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).header("User-Agent", BROWSER);
    }

    /** Signed for {@code type} with the demo secret of the banner's campaign. */
    static Map<String, String> signed(EventType type, Map<String, String> params) {
        long banner = Long.parseLong(params.get("b"));
        TreeMap<String, String> out = new TreeMap<>(params);
        out.remove(CanonicalString.SIGNATURE_PARAM);
        out.put(CanonicalString.SIGNATURE_PARAM,
                BeaconSigner.sign(BeaconSigner.key(DemoCatalog.secretOf(DemoCatalog.campaignOf(banner))), type, out));
        return out;
    }

    /** Signed as an impression, or as a sale when it has an order. */
    static Map<String, String> signed(Map<String, String> params) {
        return signed(params.containsKey("order") ? EventType.SALE : EventType.IMPRESSION, params);
    }

    static String query(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return sb.toString();
    }

    private static Map<String, String> rendering(long banner, long publisher, long ts, String nonce) {
        return Map.of("b", Long.toString(banner), "p", Long.toString(publisher), "ts", Long.toString(ts), "n", nonce);
    }

    /** The query of an impression. */
    static String beacon(long banner, long publisher, long ts, String nonce) {
        return query(signed(EventType.IMPRESSION, rendering(banner, publisher, ts, nonce)));
    }

    /** The query of the click of that rendering. */
    static String click(long banner, long publisher, long ts, String nonce) {
        return query(signed(EventType.CLICK, rendering(banner, publisher, ts, nonce)));
    }

    /** The click of the rendering of an impression query (same b, p, ts, n, kid), as an ad server signs it. */
    static String clickOf(String impressionQuery) {
        Map<String, String> params = new TreeMap<>();
        new QueryStringDecoder(impressionQuery, false).parameters().forEach((k, v) -> params.put(k, v.get(0)));
        return query(signed(EventType.CLICK, params));
    }

    static String sale(long banner, long publisher, long ts, String order, String amount) {
        return query(signed(EventType.SALE, Map.of("b", Long.toString(banner), "p", Long.toString(publisher), "ts", Long.toString(ts),
                "order", order, "amount", amount)));
    }

    /** The agclid a click's redirect gave its landing page (issue 21). */
    static String clickIdOf(String location) {
        return new QueryStringDecoder(location).parameters().get("agclid").get(0);
    }

    /** The form of a sale an advertiser's server posts by click id, signed with the key of the click's campaign. */
    static String saleByClick(String clickId, long ts, String order, String amount) {
        long campaign = io.adgrid.attribution.ClickId.header(clickId).campaign();
        TreeMap<String, String> params = new TreeMap<>(Map.of("click", clickId, "ts", Long.toString(ts), "order", order, "amount", amount));
        params.put(CanonicalString.SIGNATURE_PARAM, BeaconSigner.sign(BeaconSigner.key(DemoCatalog.secretOf(campaign)), EventType.SALE, params));
        return query(params);
    }
}
