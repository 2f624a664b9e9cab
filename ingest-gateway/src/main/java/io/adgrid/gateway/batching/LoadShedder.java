package io.adgrid.gateway.batching;

/**
 * Decides when the gateway answers 503 instead of queueing: when events queue for the grid and wait
 * too long, new events are refused for {@code holdNanos} (the Retry-After clients are told), then
 * taken again. Waiting time, because a saturated CPU or a slow grid shows first as time; but a slow
 * batch counts only with at least {@code minQueued} events queued behind it (a cold grid call at one
 * request at a time is slow, not overloaded: refusing would turn a slow answer into an error), and
 * it takes two such batches in a row to start shedding.
 */
final class LoadShedder {

    private final long maxDelayNanos;
    private final long holdNanos;
    private final long minQueued;
    private volatile long shedUntilNanos;
    private boolean lastSlow;

    LoadShedder(long maxDelayNanos, long holdNanos, long minQueued, long nowNanos) {
        this.maxDelayNanos = maxDelayNanos;
        this.holdNanos = holdNanos;
        this.minQueued = minQueued;
        this.shedUntilNanos = nowNanos;
    }

    /**
     * A batch whose oldest event was enqueued at {@code oldestEnqueuedNanos} was answered at
     * {@code nowNanos}, with {@code queued} events waiting to be sent.
     */
    synchronized void batchAnswered(long oldestEnqueuedNanos, long nowNanos, long queued) {
        boolean slow = nowNanos - oldestEnqueuedNanos > maxDelayNanos && queued >= minQueued;
        if (slow && lastSlow) {
            shedUntilNanos = nowNanos + holdNanos;
        }
        lastSlow = slow;
    }

    boolean shedding(long nowNanos) {
        return nowNanos - shedUntilNanos < 0;
    }
}
