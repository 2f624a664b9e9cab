package io.adgrid.reporting.pacing;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each campaign's spend rate from the monitor's samples of today's spend: the change since the
 * oldest sample of the last minute, per second. A new day (or a drop, after a budget or price
 * change) starts the samples again.
 */
final class SpendRate {

    static final Duration WINDOW = Duration.ofSeconds(60);

    private record Sample(Instant at, String day, BigInteger micros) {
    }

    private final Map<Long, Deque<Sample>> samples = new ConcurrentHashMap<>();

    void record(long campaign, Instant at, String day, BigInteger spendTodayMicros) {
        Deque<Sample> q = samples.computeIfAbsent(campaign, k -> new ArrayDeque<>());
        synchronized (q) {
            Sample last = q.peekLast();
            if (last != null && (!last.day().equals(day) || last.micros().compareTo(spendTodayMicros) > 0)) {
                q.clear();
            }
            q.addLast(new Sample(at, day, spendTodayMicros));
            while (q.size() > 2 && q.peekFirst().at().isBefore(at.minus(WINDOW))) {
                q.pollFirst();
            }
        }
    }

    /** Micros a second, or null with fewer than two samples a second apart. */
    Long rate(long campaign) {
        Deque<Sample> q = samples.get(campaign);
        if (q == null) {
            return null;
        }
        synchronized (q) {
            if (q.size() < 2) {
                return null;
            }
            Sample first = q.peekFirst();
            Sample last = q.peekLast();
            long millis = Duration.between(first.at(), last.at()).toMillis();
            if (millis < 1000) {
                return null;
            }
            return last.micros().subtract(first.micros()).multiply(BigInteger.valueOf(1000)).divide(BigInteger.valueOf(millis)).longValue();
        }
    }

    void forget(long campaign) {
        samples.remove(campaign);
    }
}
