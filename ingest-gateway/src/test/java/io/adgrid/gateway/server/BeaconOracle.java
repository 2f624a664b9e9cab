package io.adgrid.gateway.server;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import io.adgrid.catalog.Banner;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SigningKey;
import io.adgrid.event.EventType;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.signing.BeaconSigner;

/**
 * The expected status of a beacon's parameters, written from the contract (CONTRACT section 4) and
 * the README's rules, independently of the gateway's code: repeated, unknown, too many or too long
 * parameters and any field of the wrong shape are 400; an unknown banner 404; a signature that
 * does not cover exactly these parameters 403; an unknown publisher 404; a {@code ts} outside 15
 * minutes back / 1 minute ahead, a negative amount, more than 6 decimals or over 1,000,000,000 422.
 * Values are decoded (what the signature covers).
 */
final class BeaconOracle {

    static final int MAX_PARAMS = 16;
    static final int MAX_VALUE_LENGTH = 256;
    private static final Set<String> BEACON = Set.of("b", "p", "ts", "n", "sig");
    private static final Set<String> SALE = Set.of("b", "p", "order", "amount", "ts", "n", "sig");
    private static final Pattern ID = Pattern.compile("[0-9]{1,18}");
    private static final Pattern TS = Pattern.compile("[0-9]{1,15}");
    private static final Pattern NONCE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final Pattern ORDER = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final long MAX_AGE_MS = 15 * 60_000L;
    private static final long MAX_AHEAD_MS = 60_000L;

    private BeaconOracle() {
    }

    /** The accepted answer's status for a type: pixel, redirect, sale accepted. */
    static int success(EventType type) {
        return switch (type) {
            case IMPRESSION -> 200;
            case CLICK -> 302;
            case SALE -> 202;
        };
    }

    /**
     * @param pairs decoded name/value pairs in request order (a name may repeat)
     * @param now   the gateway's clock; cases stay far from the window's edges
     */
    static int status(EventType type, List<String[]> pairs, long now) {
        Set<String> names = new HashSet<>();
        boolean repeated = false;
        for (String[] p : pairs) {
            repeated |= !names.add(p[0]);
        }
        if (names.size() > MAX_PARAMS || repeated || pairs.stream().anyMatch(p -> p[1].length() > MAX_VALUE_LENGTH)) {
            return 400;
        }
        Map<String, String> params = new HashMap<>();
        pairs.forEach(p -> params.put(p[0], p[1]));
        Set<String> allowed = type == EventType.SALE ? SALE : BEACON;
        if (!allowed.containsAll(params.keySet())) {
            return 400;
        }
        String b = params.get("b");
        String p = params.get("p");
        String ts = params.get("ts");
        if (!positiveId(b) || !positiveId(p) || !matches(TS, ts)) {
            return 400;
        }
        if (type == EventType.SALE) {
            if (!matches(ORDER, params.get("order")) || !matches(DECIMAL, params.get("amount"))
                    || (params.containsKey("n") && !matches(NONCE, params.get("n")))) {
                return 400;
            }
        } else if (!matches(NONCE, params.get("n"))) {
            return 400;
        }
        byte[] sig = BeaconSigner.decode(params.get("sig"));
        if (sig == null) {
            return 400;
        }
        Banner banner = TestCatalog.CATALOG.banner(Long.parseLong(b));
        Campaign campaign = banner == null ? null : TestCatalog.CATALOG.campaign(banner.campaignId());
        if (campaign == null) {
            return 404;
        }
        Map<String, String> unsigned = new LinkedHashMap<>(params);
        unsigned.remove("sig");
        // Contract v2: the type's path is signed; a legacy key also takes the v1 string (any type).
        SigningKey key = campaign.key(Campaign.FIRST_KID);
        if (!BeaconSigner.sign(key.spec(), type, unsigned).equals(params.get("sig"))
                && !(key.legacy() && BeaconSigner.signV1(key.spec(), unsigned).equals(params.get("sig")))) {
            return 403;
        }
        if (!TestCatalog.CATALOG.hasPublisher(Long.parseLong(p))) {
            return 404;
        }
        long t = Long.parseLong(ts);
        if (t < now - MAX_AGE_MS || t > now + MAX_AHEAD_MS) {
            return 422;
        }
        if (type == EventType.SALE) {
            BigDecimal amount = new BigDecimal(params.get("amount"));
            if (amount.signum() < 0 || amount.scale() > 6 || amount.compareTo(BigDecimal.valueOf(1_000_000_000)) > 0) {
                return 422;
            }
        }
        return success(type);
    }

    private static boolean positiveId(String s) {
        return matches(ID, s) && Long.parseLong(s) > 0;
    }

    private static boolean matches(Pattern p, String s) {
        return s != null && p.matcher(s).matches();
    }
}
