package io.adgrid.gateway.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, as each request is read off its socket, whether the gateway handles it or answers
 * {@code 503} with {@code Retry-After} at once (no signature check, no grid call: a fraction of
 * the work), so that an overloaded gateway answers quickly instead of letting requests wait
 * unread in its sockets.
 *
 * <p>Overload means work queueing faster than it is served, not one slow request: a cold JVM (JIT,
 * class loading) or a busy neighbour on the box makes single requests slow while nothing queues,
 * and refusing them would only turn a slow answer into an error. So a window counts as overloaded
 * only when both signals hold: requests wait (delay) and requests pile up (pending).
 *
 * <p>Delay: the larger of (a) how late a task scheduled on an event loop runs (a ready socket waits
 * about as long to be read: a saturated CPU shows here first) and (b) the time from reading a
 * single-event request to writing its answer (the grid's and the batcher's wait). A batch request's
 * answer time grows with its size, not with the gateway's load ({@link #answeredBatch}); its events
 * meet the batcher's own per-event bounds. Queue: the most requests pending at once (read, not yet
 * answered) during the window, at least {@code minPendingToShed}.
 *
 * <p>Every {@link #WINDOW_NANOS} the window decides. Overloaded (largest delay over {@code
 * maxRequestDelay} and the queue over the floor): the share of requests handled halves, but while
 * every request is handled it takes two overloaded windows in a row to start. Otherwise, with the
 * delay under half the limit or no queue, the share rises by {@link #STEP_UP}/{@link #FULL} (from
 * none to all in 1.6 s); in between it stays. Requests past the share are answered 503 evenly
 * spread (not in bursts). Apart from that, at most {@code maxPendingRequests} requests are handled
 * at once: one more is answered 503 (bounded memory whatever the delays).
 *
 * <p>It also holds the connection count for the cap on open connections. Thread-safe: every event
 * loop of the gateway shares one guard.
 */
public final class OverloadGuard {

    private static final Logger log = LoggerFactory.getLogger(OverloadGuard.class);

    /**
     * @param maxPendingRequests requests read and not yet answered, beyond which the next is answered 503
     * @param maxRequestDelay    the delay inside the gateway beyond which it handles fewer requests (0: never)
     * @param maxConnections     open connections, beyond which a new one is closed at once
     * @param idleTimeout        a connection with nothing read or written for this long is closed (0: never)
     * @param minPendingToShed   requests pending at once below which no delay counts as overload (a few
     *                           clients, however slow their answers, are no queue)
     */
    public record Settings(int maxPendingRequests, Duration maxRequestDelay, int maxConnections, Duration idleTimeout,
                           int minPendingToShed) {
        public static final int DEFAULT_MIN_PENDING_TO_SHED = 64;

        public Settings {
            if (maxPendingRequests < 1 || maxConnections < 1 || maxRequestDelay.isNegative() || idleTimeout.isNegative()
                    || minPendingToShed < 0) {
                throw new IllegalArgumentException("overload settings out of range: " + maxPendingRequests + " pending requests, "
                        + maxConnections + " connections, delay " + maxRequestDelay + ", idle timeout " + idleTimeout
                        + ", " + minPendingToShed + " pending to shed");
            }
        }

        public Settings(int maxPendingRequests, Duration maxRequestDelay, int maxConnections, Duration idleTimeout) {
            this(maxPendingRequests, maxRequestDelay, maxConnections, idleTimeout, DEFAULT_MIN_PENDING_TO_SHED);
        }

        public static Settings defaults() {
            return new Settings(20_000, Duration.ofMillis(200), 20_000, Duration.ofSeconds(60));
        }
    }

    /** One decision per window. */
    static final long WINDOW_NANOS = 100_000_000L;
    /** The share of requests handled, in 1/FULL. */
    static final int FULL = 1024;
    static final int STEP_UP = FULL / 16;

    private final Settings settings;
    private final LongSupplier nanoClock;
    private final long maxDelayNanos;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final AtomicLong shed = new AtomicLong();
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicLong windowDelay = new AtomicLong();
    /** The most requests pending at once in this window. */
    private final AtomicLong windowPending = new AtomicLong();
    private volatile long windowStart;
    private volatile int share = FULL;
    /** The window before this one was overloaded (decide only). */
    private boolean lastOverloaded;

    public OverloadGuard(Settings settings) {
        this(settings, System::nanoTime);
    }

    /** @param nanoClock the time source of {@link #nanoTime()} (tests: a fake one) */
    OverloadGuard(Settings settings, LongSupplier nanoClock) {
        this.settings = settings;
        this.nanoClock = nanoClock;
        this.maxDelayNanos = settings.maxRequestDelay().toNanos();
        this.windowStart = nanoClock.getAsLong();
    }

    /** Now, by the guard's clock ({@link System#nanoTime()} but in tests). */
    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    public Settings settings() {
        return settings;
    }

    /**
     * A request was read at {@code nowNanos}: true = handle it (then call {@link #answered} when its
     * answer is written); false = answer 503 with Retry-After now.
     */
    public boolean admit(long nowNanos) {
        roll(nowNanos);
        int s = share;
        boolean inShare = s >= FULL || takes(arrivals.getAndIncrement(), s);
        if (inShare) {
            long now = pending.incrementAndGet();
            if (now <= settings.maxPendingRequests()) {
                windowPending.accumulateAndGet(now, Math::max);
                return true;
            }
        }
        if (inShare) {
            pending.decrementAndGet();
        }
        shed.incrementAndGet();
        return false;
    }

    /** Of consecutive arrivals, share/FULL are taken, evenly spread. */
    private static boolean takes(long n, int share) {
        return (n + 1) * share / FULL > n * share / FULL;
    }

    /** The answer of a request admitted at {@code readNanos} was written at {@code nowNanos}. */
    public void answered(long readNanos, long nowNanos) {
        pending.decrementAndGet();
        delayed(nowNanos - readNanos, nowNanos);
    }

    /**
     * The answer of an admitted batch request ({@code POST /events}) was written: it no longer counts
     * as pending, and its answer time is not taken as a delay (thousands of events take longer than
     * one on an idle gateway too).
     */
    public void answeredBatch() {
        pending.decrementAndGet();
    }

    /** A delay seen at {@code nowNanos}: an event loop ran a task {@code delayNanos} late, or an answer took that long. */
    public void delayed(long delayNanos, long nowNanos) {
        windowDelay.accumulateAndGet(delayNanos, Math::max);
        roll(nowNanos);
    }

    private void roll(long nowNanos) {
        if (nowNanos - windowStart >= WINDOW_NANOS) {
            decide(nowNanos);
        }
    }

    private synchronized void decide(long nowNanos) {
        if (nowNanos - windowStart < WINDOW_NANOS) {
            return; // another thread decided this window
        }
        windowStart = nowNanos;
        long delay = windowDelay.getAndSet(0);
        long queue = windowPending.getAndSet(pending.get());
        boolean queued = queue >= settings.minPendingToShed();
        boolean overloaded = maxDelayNanos > 0 && delay > maxDelayNanos && queued;
        int before = share;
        int after = before;
        if (overloaded) {
            if (before < FULL || lastOverloaded) {
                after = before / 2;
            }
        } else if (delay <= maxDelayNanos / 2 || !queued) {
            after = Math.min(FULL, before + STEP_UP);
        }
        lastOverloaded = overloaded;
        share = after;
        if (before == FULL && after < FULL) {
            log.warn("gateway overloaded (requests delayed {} ms, over {} ms, with {} pending): answering part of the requests 503 "
                    + "with Retry-After", delay / 1_000_000, maxDelayNanos / 1_000_000, queue);
        } else if (before < FULL && after == FULL) {
            log.info("gateway no longer overloaded: handling every request again ({} answered 503 so far)", shed.get());
        }
    }

    /** The share of requests handled now, 0 to 1. */
    public double admittedShare() {
        return share / (double) FULL;
    }

    /** Requests read and not yet answered. */
    public long pendingRequests() {
        return pending.get();
    }

    /** Requests answered 503 by this guard since start. */
    public long shedRequests() {
        return shed.get();
    }

    /** A connection was accepted: true = keep it (then call {@link #connectionClosed}); false = over the cap, close it. */
    public boolean connectionOpened() {
        if (connections.incrementAndGet() <= settings.maxConnections()) {
            return true;
        }
        connections.decrementAndGet();
        refusedConnections.incrementAndGet();
        return false;
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public int openConnections() {
        return connections.get();
    }

    /** Connections closed at once because the cap was reached, since start. */
    public long refusedConnections() {
        return refusedConnections.get();
    }
}
