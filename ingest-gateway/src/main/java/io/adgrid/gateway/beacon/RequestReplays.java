package io.adgrid.gateway.beacon;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request-signed {@code POST /events} bodies this gateway process took (issue 23), so that the
 * same signed request sent again is refused (409) instead of validated and submitted a second time.
 * A request is known by its kid and signature: the HMAC binds kid, ts and the body, so it stands for
 * (kid, ts, body hash) in 32 bytes.
 *
 * <p>Bounded: an entry is kept until its {@code ts} leaves the accepted window (after which the request
 * is refused as too old anyway), and never more than {@link #MAX_ENTRIES} (about 130 bytes each, so at
 * most some 13 MB): when full, the oldest is forgotten. Forgetting is safe for the counts: a request
 * let through again is deduplicated line by line in the grid, by rendering (and sales by order), so it
 * counts once; this guard saves that work and tells the sender plainly. Per process, not cluster-wide,
 * for the same reason.
 */
final class RequestReplays {

    static final int MAX_ENTRIES = 100_000;

    private final int maxEntries;
    /** Key -> epoch ms after which it is forgotten; insertion order, which is about window-end order. */
    private final LinkedHashMap<String, Long> taken = new LinkedHashMap<>();

    RequestReplays() {
        this(MAX_ENTRIES);
    }

    RequestReplays(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    static String key(String kid, byte[] sig) {
        return kid + '\n' + new String(sig, StandardCharsets.ISO_8859_1);
    }

    /** Records the request as taken until {@code forgetAtMillis}; false when it is already (and still) taken. */
    synchronized boolean claim(String key, long forgetAtMillis, long nowMillis) {
        Iterator<Map.Entry<String, Long>> oldest = taken.entrySet().iterator();
        while (oldest.hasNext()) {
            Map.Entry<String, Long> e = oldest.next();
            if (e.getValue() > nowMillis && taken.size() < maxEntries) {
                break;
            }
            oldest.remove();
        }
        Long known = taken.get(key);
        if (known != null && known > nowMillis) {
            return false;
        }
        taken.put(key, forgetAtMillis);
        return true;
    }

    /** Forgets a request whose answer was not definite (the grid failed): it may be sent again as it is. */
    synchronized void release(String key) {
        taken.remove(key);
    }

    synchronized int size() {
        return taken.size();
    }
}
