package io.adgrid.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 beacon signatures, base64url without padding. One {@link Mac} per thread because
 * {@code Mac.getInstance} costs far more than a signature; the key is set per call.
 */
public final class BeaconSigner {

    private static final String ALGORITHM = "HmacSHA256";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
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
        Mac mac = MAC.get();
        try {
            mac.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC key rejected", e);
        }
        return mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8));
    }

    public static String sign(SecretKeySpec key, Map<String, String> params) {
        return ENCODER.encodeToString(mac(key, CanonicalString.of(params)));
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
