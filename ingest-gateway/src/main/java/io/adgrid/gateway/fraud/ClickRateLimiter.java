package io.adgrid.gateway.fraud;

import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Counts clicks per client (a hash of its IP address) in the current UTC minute of this gateway's
 * clock, in fixed memory: a count-min sketch of {@value #ROWS} rows of {@value #WIDTH} counters
 * (256 KiB), cleared when the minute turns, whatever the number of clients. Counts can only be
 * over-estimated (when other clients share all of a client's counters), never under: a client over
 * the limit is always caught. Conservative update keeps the error small: measured, a client that has
 * not clicked yet reads at most 4 after 100,000 other clients clicked in the same minute, at most 7
 * after 200,000 (ClickRateLimiterTest), so with a limit of 30 honest clients are not flagged below
 * about 200,000 distinct clicking clients per minute and gateway.
 *
 * <p>Each gateway counts what it sees: behind a load balancer spreading one client over n gateways,
 * a client is flagged from about n × the limit. A click past the limit is still answered and
 * counted, as a suspect click. Thread-safe (one lock; taken for clicks only, never for impressions).
 */
public final class ClickRateLimiter {

    static final int ROWS = 4;
    static final int WIDTH = 1 << 14;

    private final int maxPerMinute;
    private final Clock clock;
    private final long[] seeds = new long[ROWS];
    private final int[][] counts;
    private long minute = Long.MIN_VALUE;

    /** @param maxPerMinute clicks a client may make in a minute before the next ones are suspect; 0 or less: no limit */
    public ClickRateLimiter(int maxPerMinute, Clock clock) {
        this(maxPerMinute, clock, ThreadLocalRandom.current().nextLong());
    }

    /** @param seed makes the hashing unpredictable from outside (a client cannot aim at another's counters) */
    ClickRateLimiter(int maxPerMinute, Clock clock, long seed) {
        this.maxPerMinute = maxPerMinute;
        this.clock = clock;
        this.counts = maxPerMinute > 0 ? new int[ROWS][WIDTH] : new int[0][];
        long s = seed;
        for (int r = 0; r < ROWS; r++) {
            s += 0x9E3779B97F4A7C15L;
            seeds[r] = mix(s);
        }
    }

    public static ClickRateLimiter unlimited() {
        return new ClickRateLimiter(0, Clock.systemUTC(), 0);
    }

    public int maxPerMinute() {
        return maxPerMinute;
    }

    /**
     * Records one click of the client and says whether it is over the limit: the first
     * {@code maxPerMinute} clicks of a client in a minute are not, the following ones are.
     *
     * @param client a hash of the client's address ({@link ClientAddress#key})
     */
    public boolean overLimit(long client) {
        if (maxPerMinute <= 0) {
            return false;
        }
        long now = Math.floorDiv(clock.millis(), 60_000L);
        int[] slot = new int[ROWS];
        synchronized (this) {
            if (now != minute) {
                for (int[] row : counts) {
                    java.util.Arrays.fill(row, 0);
                }
                minute = now;
            }
            int estimate = Integer.MAX_VALUE;
            for (int r = 0; r < ROWS; r++) {
                slot[r] = (int) (mix(client ^ seeds[r]) >>> 50); // 14 bits
                estimate = Math.min(estimate, counts[r][slot[r]]);
            }
            int updated = estimate == Integer.MAX_VALUE ? estimate : estimate + 1;
            // Conservative update: raise only the counters that are below the new estimate.
            for (int r = 0; r < ROWS; r++) {
                if (counts[r][slot[r]] < updated) {
                    counts[r][slot[r]] = updated;
                }
            }
            return updated > maxPerMinute;
        }
    }

    /** The client's clicks this minute as the sketch knows them: never fewer than it made. */
    synchronized int estimate(long client) {
        if (maxPerMinute <= 0 || Math.floorDiv(clock.millis(), 60_000L) != minute) {
            return 0;
        }
        int estimate = Integer.MAX_VALUE;
        for (int r = 0; r < ROWS; r++) {
            estimate = Math.min(estimate, counts[r][(int) (mix(client ^ seeds[r]) >>> 50)]);
        }
        return estimate;
    }

    /** Heap bytes of the counters: fixed, whatever the traffic. */
    public long bytes() {
        return maxPerMinute <= 0 ? 0 : (long) ROWS * WIDTH * Integer.BYTES;
    }

    /** A 64-bit finaliser (splitmix64): every input bit moves every output bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
