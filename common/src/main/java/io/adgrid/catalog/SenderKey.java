package io.adgrid.catalog;

import java.util.Arrays;
import java.util.Collection;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.signing.BeaconSigner;

/**
 * A sender's key for request-signed {@code POST /events} bodies (issue 23): one HMAC over the whole
 * request instead of one per line. It is not a campaign's key: it names the campaigns whose banners
 * its requests may carry ({@link #allows}), and nothing else. After a rotation the previous secret
 * still signs until {@code previousUntilMillis}, so a sender can move to the new one without a gap.
 * A disabled key signs nothing. {@link #toString()} never shows a secret.
 */
public final class SenderKey {

    private final String kid;
    private final SecretKeySpec secret;
    private final SecretKeySpec previous;
    private final long previousUntilMillis;
    private final boolean disabled;
    private final long[] campaigns;

    /**
     * @param previous            the secret before the last rotation, or null
     * @param previousUntilMillis until when (epoch ms, exclusive) {@code previous} still signs
     */
    public SenderKey(String kid, byte[] secret, byte[] previous, long previousUntilMillis, boolean disabled, Collection<Long> campaigns) {
        this.kid = kid;
        this.secret = BeaconSigner.key(secret);
        this.previous = previous == null ? null : BeaconSigner.key(previous);
        this.previousUntilMillis = previous == null ? 0 : previousUntilMillis;
        this.disabled = disabled;
        // Sorted for a binary search per line: no boxing on the hot path.
        this.campaigns = campaigns.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
    }

    public String kid() {
        return kid;
    }

    public SecretKeySpec secret() {
        return secret;
    }

    /** The secret before the last rotation while it still signs at {@code nowMillis}, else null. */
    public SecretKeySpec previousAt(long nowMillis) {
        return previous != null && nowMillis < previousUntilMillis ? previous : null;
    }

    /** The secret before the last rotation, whether or not it still signs; null if none. */
    public SecretKeySpec previous() {
        return previous;
    }

    /** Until when (epoch ms, exclusive) {@link #previous()} signs; 0 without one. */
    public long previousUntilMillis() {
        return previousUntilMillis;
    }

    public boolean disabled() {
        return disabled;
    }

    /** Whether requests signed with this key may carry events of this campaign. */
    public boolean allows(long campaignId) {
        return Arrays.binarySearch(campaigns, campaignId) >= 0;
    }

    /** The campaigns on its list, ascending. */
    public long[] campaigns() {
        return campaigns.clone();
    }

    @Override
    public String toString() {
        return "SenderKey[kid=" + kid + ", campaigns=" + Arrays.toString(campaigns) + (disabled ? ", disabled" : "")
                + (previous != null ? ", previous until " + previousUntilMillis : "") + "]";
    }
}
