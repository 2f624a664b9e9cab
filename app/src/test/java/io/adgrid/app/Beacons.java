package io.adgrid.app;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.CanonicalString;

/** Signs beacons for the demo catalog the way an ad server would. */
final class Beacons {

    private Beacons() {
    }

    static Map<String, String> signed(Map<String, String> params) {
        long banner = Long.parseLong(params.get("b"));
        TreeMap<String, String> out = new TreeMap<>(params);
        out.put(CanonicalString.SIGNATURE_PARAM,
                BeaconSigner.sign(BeaconSigner.key(DemoCatalog.secretOf(DemoCatalog.campaignOf(banner))), out));
        return out;
    }

    static String query(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return sb.toString();
    }

    static String beacon(long banner, long publisher, long ts, String nonce) {
        return query(signed(Map.of("b", Long.toString(banner), "p", Long.toString(publisher), "ts", Long.toString(ts), "n", nonce)));
    }

    static String sale(long banner, long publisher, long ts, String order, String amount) {
        return query(signed(Map.of("b", Long.toString(banner), "p", Long.toString(publisher), "ts", Long.toString(ts),
                "order", order, "amount", amount)));
    }
}
