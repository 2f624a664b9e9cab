package io.adgrid.gateway.catalog;

/**
 * Recently read banners and publishers, on heap in front of the off-heap maps: a hit costs an
 * array read instead of a Chronicle Map lookup (hashing, a segment lock, decoding the value).
 *
 * <p>Direct-mapped and shared by every reader without locks: each slot holds an immutable record,
 * so a racing reader sees a whole record or the previous one. Each record carries the store's
 * change count at the time its value was read; every write to the store counts a change after
 * it, so a record read before a write never matches again. Unknown ids are not remembered.
 */
final class HotEntries {

    /** Slots per kind: 16,384 hot banners (about 2 MB with their landing URLs) and as many publishers. */
    static final int SLOTS = 1 << 14;
    private static final int SHIFT = Long.SIZE - Integer.numberOfTrailingZeros(SLOTS);

    private record HotBanner(long id, long changes, long campaignId, String landingUrl) {
    }

    private record HotPublisher(long id, long changes) {
    }

    private final HotBanner[] banners = new HotBanner[SLOTS];
    private final HotPublisher[] publishers = new HotPublisher[SLOTS];
    /** Written by the store's one writer only, after each change. */
    private volatile long changes;

    /** Called by the store after every write: every record read before it is stale from now on. */
    void changed() {
        changes++;
    }

    /** The current change count: read it before reading the map, remember with what was read. */
    long changes() {
        return changes;
    }

    boolean banner(long id, BannerEntry into) {
        HotBanner hot = banners[slot(id)];
        if (hot != null && hot.id == id && hot.changes == changes) {
            into.set(hot.campaignId, hot.landingUrl);
            return true;
        }
        return false;
    }

    void rememberBanner(long id, long readAt, BannerEntry value) {
        banners[slot(id)] = new HotBanner(id, readAt, value.campaignId(), value.landingUrl().toString());
    }

    boolean hasPublisher(long id) {
        HotPublisher hot = publishers[slot(id)];
        return hot != null && hot.id == id && hot.changes == changes;
    }

    void rememberPublisher(long id, long readAt) {
        publishers[slot(id)] = new HotPublisher(id, readAt);
    }

    private static int slot(long id) {
        // Fibonacci hashing: consecutive ids spread over the whole table.
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> SHIFT);
    }
}
