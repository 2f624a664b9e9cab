package io.adgrid.catalog;

import java.nio.charset.StandardCharsets;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.signing.BeaconSigner;

/**
 * One of a campaign's signing secrets. It signs beacons until {@code retiredAtMillis} (epoch
 * milliseconds; {@link #NEVER} when it is not retired), then beacons signed with it are refused.
 * A {@code legacy} key also accepts v1 signatures (no type path; CONTRACT section 4), so that ad
 * servers can move to v2 key by key. The secret bytes stay inside: {@link #toString()} names the key id only.
 */
public record SigningKey(String kid, SecretKeySpec spec, long retiredAtMillis, boolean legacy) {

    public static final long NEVER = Long.MAX_VALUE;

    public static SigningKey of(String kid, String secret) {
        return new SigningKey(kid, BeaconSigner.key(secret), NEVER, false);
    }

    public static SigningKey of(String kid, byte[] secret, long retiredAtMillis) {
        return of(kid, secret, retiredAtMillis, false);
    }

    public static SigningKey of(String kid, byte[] secret, long retiredAtMillis, boolean legacy) {
        return new SigningKey(kid, BeaconSigner.key(secret), retiredAtMillis, legacy);
    }

    /** The same key, marked legacy (or not). */
    public SigningKey withLegacy(boolean legacy) {
        return new SigningKey(kid, spec, retiredAtMillis, legacy);
    }

    public static SigningKey of(String kid, String secret, long retiredAtMillis) {
        return of(kid, secret.getBytes(StandardCharsets.UTF_8), retiredAtMillis);
    }

    public boolean isRetiredAt(long nowMillis) {
        return nowMillis >= retiredAtMillis;
    }

    /** A copy of the secret bytes (to persist them); the caller must not log or keep them longer than needed. */
    public byte[] secret() {
        return spec.getEncoded();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey k && k.kid.equals(kid) && k.retiredAtMillis == retiredAtMillis && k.legacy == legacy
                && java.security.MessageDigest.isEqual(k.spec.getEncoded(), spec.getEncoded());
    }

    @Override
    public int hashCode() {
        return kid.hashCode() * 31 + Long.hashCode(retiredAtMillis);
    }

    @Override
    public String toString() {
        return "SigningKey[kid=" + kid + (retiredAtMillis == NEVER ? "" : ", retiredAtMillis=" + retiredAtMillis)
                + (legacy ? ", legacy" : "") + "]";
    }
}
