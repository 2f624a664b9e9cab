package io.adgrid.gateway.batching;

/**
 * Decides when the gateway answers 503 instead of queueing: when a batch's oldest event waited
 * longer than {@code maxDelayNanos} for the grid, new events are refused for {@code holdNanos}
 * (the Retry-After clients are told), then taken again. Waiting time, not queue length, because a
 * saturated CPU or a slow grid shows first as time.
 */
final class LoadShedder {

    private final long maxDelayNanos;
    private final long holdNanos;
    private volatile long shedUntilNanos;

    LoadShedder(long maxDelayNanos, long holdNanos, long nowNanos) {
        this.maxDelayNanos = maxDelayNanos;
        this.holdNanos = holdNanos;
        this.shedUntilNanos = nowNanos;
    }

    /** A batch whose oldest event was enqueued at {@code oldestEnqueuedNanos} was answered at {@code nowNanos}. */
    void batchAnswered(long oldestEnqueuedNanos, long nowNanos) {
        if (nowNanos - oldestEnqueuedNanos > maxDelayNanos) {
            shedUntilNanos = nowNanos + holdNanos;
        }
    }

    boolean shedding(long nowNanos) {
        return nowNanos - shedUntilNanos < 0;
    }
}
