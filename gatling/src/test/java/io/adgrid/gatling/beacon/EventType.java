package io.adgrid.gatling.beacon;

/** The three beacons of CONTRACT section 4, with the path and success answer of each. */
public enum EventType {
    IMPRESSION("/i", 200),
    CLICK("/c", 302),
    SALE("/s", 202);

    public final String path;
    public final int success;

    EventType(String path, int success) {
        this.path = path;
        this.success = success;
    }
}
