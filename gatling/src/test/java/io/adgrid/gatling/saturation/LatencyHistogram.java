package io.adgrid.gatling.saturation;

import java.util.concurrent.atomic.AtomicLongArray;

/** Lock-free latency histogram: 1 ms buckets below 100 ms, 10 ms to 1 s, 100 ms to 60 s, then one overflow bucket. */
public final class LatencyHistogram {

    private static final int FINE = 100;
    private static final int MEDIUM = 90;
    private static final int COARSE = 590;
    private static final int BUCKETS = FINE + MEDIUM + COARSE + 1;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    public void record(long millis) {
        counts.incrementAndGet(bucket(Math.max(0, millis)));
    }

    public long count() {
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The upper bound of the bucket holding the q-quantile (q in (0, 1]); 0 when empty, 60001 when beyond 60 s. */
    public long percentile(double q) {
        long n = count();
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return upperBound(i);
            }
        }
        return upperBound(BUCKETS - 1);
    }

    static int bucket(long ms) {
        if (ms < FINE) {
            return (int) ms;
        }
        if (ms < 1000) {
            return FINE + (int) ((ms - FINE) / 10);
        }
        if (ms < 60_000) {
            return FINE + MEDIUM + (int) ((ms - 1000) / 100);
        }
        return BUCKETS - 1;
    }

    static long upperBound(int bucket) {
        if (bucket < FINE) {
            return bucket;
        }
        if (bucket < FINE + MEDIUM) {
            return FINE + (bucket - FINE) * 10L + 9;
        }
        if (bucket < BUCKETS - 1) {
            return 1000 + (bucket - FINE - MEDIUM) * 100L + 99;
        }
        return 60_001;
    }
}
