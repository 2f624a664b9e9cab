package io.adgrid.gatling.beacon;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Beacon signatures written from the public contract (CONTRACT section 4), independently of the product's
 * own signer, so that a canonicalisation bug on either side shows up as 403s in the load test:
 * {@code sig} = base64url without padding of HMAC-SHA256(campaign secret, canonical string), the canonical
 * string (contract v2) being the beacon's path ({@code /i}, {@code /c}, {@code /s}), {@code ?}, then every
 * parameter but {@code sig}, sorted by name, as {@code name=value} joined with {@code &}.
 */
public final class Signer {

    public static final String SIG = "sig";
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    private Signer() {
    }

    public static SecretKeySpec key(String secret) {
        return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** @param path the beacon's path, {@code /i}, {@code /c} or {@code /s} */
    public static String canonical(String path, Map<String, String> params) {
        StringBuilder sb = new StringBuilder(80).append(path).append('?');
        int start = sb.length();
        for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
            if (e.getKey().equals(SIG)) {
                continue;
            }
            if (sb.length() > start) {
                sb.append('&');
            }
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    public static String sign(SecretKeySpec key, String path, Map<String, String> params) {
        Mac mac = MAC.get();
        try {
            mac.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return BASE64URL.encodeToString(mac.doFinal(canonical(path, params).getBytes(StandardCharsets.UTF_8)));
    }

    /** The parameters plus their {@code sig}, in name order. */
    public static TreeMap<String, String> signed(SecretKeySpec key, String path, Map<String, String> params) {
        TreeMap<String, String> out = new TreeMap<>(params);
        out.remove(SIG);
        out.put(SIG, sign(key, path, out));
        return out;
    }

    /** Signed with the v1 string (no path), as before contract v2: a v2 key refuses it. */
    public static TreeMap<String, String> signedV1(SecretKeySpec key, Map<String, String> params) {
        TreeMap<String, String> out = new TreeMap<>(params);
        out.remove(SIG);
        String v2 = canonical("", out);
        Mac mac = MAC.get();
        try {
            mac.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        out.put(SIG, BASE64URL.encodeToString(mac.doFinal(v2.substring(1).getBytes(StandardCharsets.UTF_8))));
        return out;
    }

    /** {@code name=value&...} with URL-encoded values: a query string or a form body. */
    public static String urlEncoded(Map<String, String> params) {
        StringBuilder sb = new StringBuilder(128);
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }
}
