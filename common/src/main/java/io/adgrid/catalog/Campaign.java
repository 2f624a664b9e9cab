package io.adgrid.catalog;

import java.util.Map;
import java.util.TreeMap;
import io.adgrid.attribution.Attribution;

/**
 * A campaign as the gateway needs it: the currency of its sales, the keys its beacons may be
 * signed with, by key id ({@code kid}), and its own click attribution (parameter and window; what it
 * leaves null is the deployment's). A beacon without {@code kid} uses {@link #FIRST_KID}, the
 * key the campaign was created with. Never prints a secret.
 */
public record Campaign(long id, String currency, Map<String, SigningKey> keys, Attribution attribution) {

    /** The key id of a beacon that carries no {@code kid} parameter. */
    public static final String FIRST_KID = "0";

    public Campaign {
        keys = Map.copyOf(keys);
        attribution = attribution == null ? Attribution.DEFAULTS : attribution;
    }

    /** A campaign with the deployment's attribution. */
    public Campaign(long id, String currency, Map<String, SigningKey> keys) {
        this(id, currency, keys, Attribution.DEFAULTS);
    }

    /** The same campaign with this attribution. */
    public Campaign withAttribution(Attribution a) {
        return new Campaign(id, currency, keys, a);
    }

    /** A campaign with one key, {@link #FIRST_KID}, never retired. */
    public static Campaign of(long id, String currency, String secret) {
        return new Campaign(id, currency, Map.of(FIRST_KID, SigningKey.of(FIRST_KID, secret)));
    }

    /** The key with this id, retired or not; null when the campaign has no such key. */
    public SigningKey key(String kid) {
        return keys.get(kid);
    }

    @Override
    public String toString() {
        return "Campaign[id=" + id + ", currency=" + currency + ", kids=" + new TreeMap<>(keys).keySet()
                + (attribution.isDefault() ? "" : ", " + attribution) + "]";
    }
}
