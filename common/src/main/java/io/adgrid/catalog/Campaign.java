package io.adgrid.catalog;

import java.util.Map;
import java.util.TreeMap;

/**
 * A campaign as the gateway needs it: the currency of its sales and the keys its beacons may be
 * signed with, by key id ({@code kid}). A beacon without {@code kid} uses {@link #FIRST_KID}, the
 * key the campaign was created with. Never prints a secret.
 */
public record Campaign(long id, String currency, Map<String, SigningKey> keys) {

    /** The key id of a beacon that carries no {@code kid} parameter. */
    public static final String FIRST_KID = "0";

    public Campaign {
        keys = Map.copyOf(keys);
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
        return "Campaign[id=" + id + ", currency=" + currency + ", kids=" + new TreeMap<>(keys).keySet() + "]";
    }
}
