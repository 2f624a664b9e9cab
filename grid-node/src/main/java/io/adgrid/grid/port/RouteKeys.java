package io.adgrid.grid.port;

/**
 * Keys of the counter map. Beacons live under their banner, sales under their campaign; both are
 * plain longs (cheap to hash and serialize) with the kind in the lowest bit.
 */
public final class RouteKeys {

    private RouteKeys() {
    }

    public static long banner(long bannerId) {
        return bannerId << 1;
    }

    public static long campaign(long campaignId) {
        return (campaignId << 1) | 1;
    }
}
