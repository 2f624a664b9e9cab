package io.adgrid.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.event.EventType;

/**
 * HMAC-SHA256 beacon signatures, base64url without padding. One {@link Mac} per thread because
 * {@code Mac.getInstance} costs far more than a signature; the key is set per call.
 */
public final class BeaconSigner {

    private static final String ALGORITHM = "HmacSHA256";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    private static final byte[][] PATHS = new byte[EventType.values().length][];

    static {
        for (EventType t : EventType.values()) {
            PATHS[t.ordinal()] = CanonicalString.path(t).getBytes(StandardCharsets.US_ASCII);
        }
    }
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance(ALGORITHM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK without HmacSHA256", e);
        }
    });

    private BeaconSigner() {
    }

    public static SecretKeySpec key(byte[] secret) {
        return new SecretKeySpec(secret, ALGORITHM);
    }

    public static SecretKeySpec key(String secret) {
        return key(secret.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] mac(SecretKeySpec key, String canonical) {
        Mac mac = macOf(key);
        return mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8));
    }

    /** The v2 signature of a beacon of this type (CONTRACT section 4). */
    public static String sign(SecretKeySpec key, EventType type, Map<String, String> params) {
        return ENCODER.encodeToString(mac(key, CanonicalString.of(type, params)));
    }

    /** The v1 signature (no type path): what ad servers sent before contract v2; legacy keys still accept it. */
    public static String signV1(SecretKeySpec key, Map<String, String> params) {
        return ENCODER.encodeToString(mac(key, CanonicalString.v1(params)));
    }

    /** Which contract's string a signature matched. */
    public enum Version { V1, V2 }

    /**
     * A signature that matched, and the beacon's identity bits: for an impression or a click the
     * identity of its <em>rendering</em>, HMAC(key, v1 string), the same whichever type or contract
     * version signed it; for a sale its own signature (a sale is deduplicated by its order).
     */
    public record Verified(Version version, byte[] identity) {
    }

    /**
     * Checks {@code sig} against the v2 string of {@code type}, and when {@code acceptV1} (a legacy
     * key) against the v1 string too. The rendering identity is HMAC(key, v1 string): it is what a
     * v1 beacon's signature was, so the identities that builds before v2 kept in the grid and in
     * journals still match the beacons they saw, and an impression and a click of one rendering
     * share it (the type is mixed in by the grid) without either carrying more bytes. It costs a
     * second HMAC over the same key (the {@link Mac} is reused, not re-keyed) for a v2 impression or click.
     *
     * @return null when the signature matches neither
     */
    public static Verified verify(SecretKeySpec key, EventType type, Map<String, String> params, byte[] sig, boolean acceptV1) {
        byte[] body = CanonicalString.v1(params).getBytes(StandardCharsets.UTF_8);
        Mac mac = macOf(key);
        mac.update(PATHS[type.ordinal()]);
        byte[] v2 = mac.doFinal(body);
        if (matches(v2, sig)) {
            return new Verified(Version.V2, type == EventType.SALE ? v2 : mac.doFinal(body));
        }
        if (acceptV1) {
            byte[] v1 = mac.doFinal(body);
            if (matches(v1, sig)) {
                return new Verified(Version.V1, v1);
            }
        }
        return null;
    }

    /** This thread's HMAC, keyed with {@code key}. */
    private static Mac macOf(SecretKeySpec key) {
        Mac mac = MAC.get();
        try {
            mac.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC key rejected", e);
        }
        return mac;
    }

    /**
     * The identity {@link #verify} gives a beacon whose signature matched as v2, computed without a
     * signature: for the lines of a request-signed {@code POST /events} body (issue 23), whose request
     * signature vouches for them. One HMAC: the rendering's HMAC(key, v1 string) for an impression or
     * a click, HMAC(key, v2 string) for a sale. So a line counts against the same identity whether it
     * came signed on its own or in a signed request, and a replay in either form is a duplicate.
     */
    public static byte[] identity(SecretKeySpec key, EventType type, Map<String, String> params) {
        byte[] body = CanonicalString.v1(params).getBytes(StandardCharsets.UTF_8);
        Mac mac = macOf(key);
        if (type == EventType.SALE) {
            mac.update(PATHS[type.ordinal()]);
        }
        return mac.doFinal(body);
    }

    /**
     * Decodes a {@code sig} parameter; returns null when it is not base64url of 32 bytes, so a
     * malformed signature can be told apart from a wrong one.
     */
    public static byte[] decode(String sig) {
        // 43 characters carry 258 bits; the last one must leave the 2 spare bits zero, so that
        // exactly one spelling of a signature is valid.
        if (sig == null || sig.length() != 43 || "AEIMQUYcgkosw048".indexOf(sig.charAt(42)) < 0) {
            return null;
        }
        try {
            return DECODER.decode(sig);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Constant-time comparison so timing does not leak how much of a forged signature is right. */
    public static boolean matches(byte[] expected, byte[] given) {
        return MessageDigest.isEqual(expected, given);
    }
}
