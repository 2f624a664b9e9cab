package io.adgrid.gateway.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Open connections per client address, so that one client cannot take the whole connection cap. */
final class ConnectionsPerAddress {

    private final int max;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();

    /** @param max 0: no cap */
    ConnectionsPerAddress(int max) {
        this.max = max;
    }

    /** True: counted, call {@link #closed} when it closes; false: over the cap, close it (nothing counted). */
    boolean opened(InetAddress address) {
        if (max == 0 || address == null) {
            return true;
        }
        boolean[] admitted = {false};
        open.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= max) {
                return n;
            }
            admitted[0] = true;
            return count + 1;
        });
        if (!admitted[0]) {
            refused.incrementAndGet();
        }
        return admitted[0];
    }

    void closed(InetAddress address) {
        if (max == 0 || address == null) {
            return;
        }
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    long refused() {
        return refused.get();
    }

    int open(InetAddress address) {
        return open.getOrDefault(address, 0);
    }
}
