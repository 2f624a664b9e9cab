package io.adgrid.gateway.server;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes of request bodies held by every connection together while they arrive; shared by all event loops. */
final class BufferBudget {

    private final long max;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    BufferBudget(long max) {
        this.max = max;
    }

    /** Takes {@code bytes} if they fit under the cap; false (and nothing taken) if not. */
    boolean tryReserve(long bytes) {
        if (bytes <= 0) {
            return true;
        }
        long now = used.addAndGet(bytes);
        if (now <= max) {
            return true;
        }
        used.addAndGet(-bytes);
        refused.incrementAndGet();
        return false;
    }

    void release(long bytes) {
        if (bytes > 0) {
            used.addAndGet(-bytes);
        }
    }

    long used() {
        return used.get();
    }

    /** Requests refused (503) or connections closed because their body did not fit. */
    long refused() {
        return refused.get();
    }
}
