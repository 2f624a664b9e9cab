package io.adgrid.reporting.ops;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.grid.member.MemberSnapshot;
import io.adgrid.grid.member.MeterSample;

/**
 * What the dashboard charts at one instant: rates over the interval since the previous sample,
 * summed over every process of the cluster, and gauges as they are now. Values a process does not
 * report (yet) are null, never NaN.
 *
 * @param t                    sample time, epoch milliseconds
 * @param acceptedPerSecond    events counted per second, by type (impression, click, sale)
 * @param duplicatesPerSecond  replays and re-posted orders per second (answered, not counted again)
 * @param rejectedPerSecond    refused events per second, by reason code
 * @param latencyP50Ms         beacon latency percentiles over the interval, from the gateways' histograms
 * @param lagSeconds           the largest write-behind lag of any data member
 * @param backlogKeys          counter keys not yet in PostgreSQL, over all data members
 * @param flushRowsPerSecond   counter rows written to PostgreSQL per second
 * @param flushWritesPerSecond PostgreSQL write transactions per second
 * @param writeFailuresPerSecond failed PostgreSQL write transactions per second
 * @param gridBatchSizeMean    mean events per gateway grid call over the interval
 * @param gridBatchP99Ms       99th percentile of the gateway's grid call latency over the interval
 */
public record OpsPoint(long t, Map<String, Double> acceptedPerSecond, double acceptedTotalPerSecond, double duplicatesPerSecond,
                       Map<String, Double> rejectedPerSecond, double rejectedTotalPerSecond, Double latencyP50Ms, Double latencyP99Ms,
                       Double lagSeconds, Long backlogKeys, double flushRowsPerSecond, double flushWritesPerSecond,
                       double writeFailuresPerSecond, Double gridBatchSizeMean, Double gridBatchP99Ms) implements Serializable {

    private static final long serialVersionUID = 1L;

    static final String EVENTS = "adgrid.gateway.events";
    static final String LATENCY = "adgrid.gateway.latency";
    static final String GRID_BATCH_SIZE = "adgrid.grid.batch.size";
    static final String GRID_BATCH_LATENCY = "adgrid.grid.batch.latency";
    static final String WRITE_ROWS = "adgrid.writebehind.write.rows";
    static final String WRITE_FAILURES = "adgrid.writebehind.write.failures";
    static final String LAG = "adgrid.writebehind.lag";
    static final String BACKLOG_KEYS = "adgrid.writebehind.backlog.keys";

    /** The point of {@code current}, with rates over the time since {@code previous} (null for the first sample). */
    static OpsPoint between(ClusterSample previous, ClusterSample current) {
        double seconds = previous == null ? 0 : (current.time() - previous.time()) / 1000.0;
        Map<String, MemberSnapshot> before = previous == null ? Map.of() : previous.byUuid();
        Map<String, Double> accepted = new TreeMap<>();
        Map<String, Double> rejected = new TreeMap<>();
        double duplicates = 0;
        double rows = 0;
        double writes = 0;
        double failures = 0;
        Histogram latency = new Histogram();
        Histogram gridLatency = new Histogram();
        double batchEvents = 0;
        double batchCalls = 0;
        for (MemberSnapshot now : current.members()) {
            MemberSnapshot then = before.get(now.uuid());
            if (then == null || seconds <= 0) {
                continue; // a new member (or the first sample): no interval to take a rate over
            }
            Map<String, MeterSample> old = new HashMap<>();
            then.meters().forEach(m -> old.put(m.id(), m));
            for (MeterSample m : now.meters()) {
                MeterSample o = old.get(m.id());
                switch (m.name()) {
                    case EVENTS -> {
                        double d = delta(m.count(), o == null ? null : o.count());
                        switch (m.tag("outcome")) {
                            case "accepted" -> accepted.merge(m.tag("type"), d, Double::sum);
                            case "duplicate" -> duplicates += d;
                            case "rejected" -> rejected.merge(m.tag("reason"), d, Double::sum);
                            default -> { }
                        }
                    }
                    case LATENCY -> latency.add(m, o);
                    case GRID_BATCH_LATENCY -> gridLatency.add(m, o);
                    case GRID_BATCH_SIZE -> {
                        batchEvents += delta(m.total(), o == null ? null : o.total());
                        batchCalls += delta(m.count(), o == null ? null : o.count());
                    }
                    case WRITE_ROWS -> {
                        rows += delta(m.total(), o == null ? null : o.total());
                        writes += delta(m.count(), o == null ? null : o.count());
                    }
                    case WRITE_FAILURES -> failures += delta(m.count(), o == null ? null : o.count());
                    default -> { }
                }
            }
        }
        Double lag = null;
        Long backlog = null;
        for (MemberSnapshot now : current.members()) {
            for (MeterSample m : now.meters()) {
                if (m.name().equals(LAG) && Double.isFinite(m.value())) {
                    lag = lag == null ? m.value() : Math.max(lag, m.value());
                } else if (m.name().equals(BACKLOG_KEYS) && Double.isFinite(m.value())) {
                    backlog = (backlog == null ? 0 : backlog) + (long) m.value();
                }
            }
        }
        double per = seconds > 0 ? 1 / seconds : 0;
        accepted.replaceAll((k, v) -> v * per);
        rejected.replaceAll((k, v) -> v * per);
        return new OpsPoint(current.time(), accepted, sum(accepted), duplicates * per, rejected, sum(rejected),
                millis(latency.quantile(0.5)), millis(latency.quantile(0.99)), lag, backlog,
                rows * per, writes * per, failures * per,
                batchCalls > 0 ? batchEvents / batchCalls : null, millis(gridLatency.quantile(0.99)));
    }

    /**
     * The cluster's point of one second from the points of its processes ({@link LocalHistory}):
     * rates and backlogs added, the largest lag; latencies and batch figures, which cannot be added,
     * are the largest of any process (an upper bound, as a chart of the worst gateway).
     */
    static OpsPoint merge(long t, List<OpsPoint> points) {
        Map<String, Double> accepted = new TreeMap<>();
        Map<String, Double> rejected = new TreeMap<>();
        double duplicates = 0;
        double rows = 0;
        double writes = 0;
        double failures = 0;
        Double p50 = null;
        Double p99 = null;
        Double lag = null;
        Long backlog = null;
        Double batchMean = null;
        Double batchP99 = null;
        for (OpsPoint p : points) {
            p.acceptedPerSecond().forEach((k, v) -> accepted.merge(k, v, Double::sum));
            p.rejectedPerSecond().forEach((k, v) -> rejected.merge(k, v, Double::sum));
            duplicates += p.duplicatesPerSecond();
            rows += p.flushRowsPerSecond();
            writes += p.flushWritesPerSecond();
            failures += p.writeFailuresPerSecond();
            p50 = max(p50, p.latencyP50Ms());
            p99 = max(p99, p.latencyP99Ms());
            lag = max(lag, p.lagSeconds());
            if (p.backlogKeys() != null) {
                backlog = (backlog == null ? 0 : backlog) + p.backlogKeys();
            }
            batchMean = max(batchMean, p.gridBatchSizeMean());
            batchP99 = max(batchP99, p.gridBatchP99Ms());
        }
        return new OpsPoint(t, accepted, sum(accepted), duplicates, rejected, sum(rejected), p50, p99, lag, backlog,
                rows, writes, failures, batchMean, batchP99);
    }

    /**
     * One process's points (oldest first), one per second (epoch second → point). A late tick, or a
     * finer sampling, can put several in one second: they cover consecutive slices of it, so its rates
     * are their mean, its gauges the latest reading, its latencies the largest.
     */
    static Map<Long, OpsPoint> bySecond(List<OpsPoint> points) {
        Map<Long, List<OpsPoint>> seconds = new TreeMap<>();
        for (OpsPoint p : points) {
            seconds.computeIfAbsent(p.t() / 1000, k -> new ArrayList<>()).add(p);
        }
        Map<Long, OpsPoint> one = new TreeMap<>();
        seconds.forEach((second, inSecond) -> one.put(second, inSecond.size() == 1 ? inSecond.get(0) : meanOf(inSecond)));
        return one;
    }

    private static OpsPoint meanOf(List<OpsPoint> slices) {
        OpsPoint sum = merge(0, slices);
        OpsPoint latest = slices.get(slices.size() - 1);
        double n = slices.size();
        Map<String, Double> accepted = new TreeMap<>(sum.acceptedPerSecond());
        Map<String, Double> rejected = new TreeMap<>(sum.rejectedPerSecond());
        accepted.replaceAll((k, v) -> v / n);
        rejected.replaceAll((k, v) -> v / n);
        return new OpsPoint(latest.t(), accepted, sum(accepted), sum.duplicatesPerSecond() / n, rejected, sum(rejected),
                sum.latencyP50Ms(), sum.latencyP99Ms(), latest.lagSeconds(), latest.backlogKeys(),
                sum.flushRowsPerSecond() / n, sum.flushWritesPerSecond() / n, sum.writeFailuresPerSecond() / n,
                sum.gridBatchSizeMean(), sum.gridBatchP99Ms());
    }

    private static Double max(Double a, Double b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return Math.max(a, b);
    }

    /** The increase of a cumulative count; a count that went down restarted from zero (a process restart). */
    static double delta(double now, Double before) {
        if (before == null || !Double.isFinite(now) || !Double.isFinite(before)) {
            return 0;
        }
        return now >= before ? now - before : now;
    }

    private static double sum(Map<String, Double> values) {
        return values.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private static Double millis(Double seconds) {
        return seconds == null ? null : seconds * 1000;
    }

    /**
     * Histogram increases over an interval, summed over processes and tags, read like PromQL's
     * {@code histogram_quantile(q, sum(rate(..._bucket[1s])) by (le))}: linear within a bucket.
     * Meters without buckets fall back to their own client-side percentiles (the largest wins).
     */
    static final class Histogram {
        private final TreeMap<Double, Double> increaseAtOrBelow = new TreeMap<>();
        private double count;
        private final Map<Double, Double> clientPercentiles = new HashMap<>();

        void add(MeterSample now, MeterSample before) {
            double added = delta(now.count(), before == null ? null : before.count());
            if (added <= 0) {
                return;
            }
            if (now.bucketBounds().length == 0) {
                for (int i = 0; i < now.percentiles().length; i++) {
                    clientPercentiles.merge(now.percentiles()[i], now.percentileValues()[i], Math::max);
                }
                return;
            }
            count += added;
            boolean restarted = now.count() < before.count() || before.bucketCounts().length != now.bucketCounts().length;
            double[] bounds = now.bucketBounds();
            for (int i = 0; i < bounds.length; i++) {
                double was = restarted ? 0 : before.bucketCounts()[i];
                increaseAtOrBelow.merge(bounds[i], Math.max(0, now.bucketCounts()[i] - was), Double::sum);
            }
        }

        Double quantile(double q) {
            if (count <= 0) {
                Double client = clientPercentiles.get(q);
                return client != null && Double.isFinite(client) ? client : null;
            }
            double rank = q * count;
            double lowerBound = 0;
            double lowerCount = 0;
            for (Map.Entry<Double, Double> e : increaseAtOrBelow.entrySet()) {
                if (e.getValue() >= rank) {
                    double inBucket = e.getValue() - lowerCount;
                    if (inBucket <= 0) {
                        return e.getKey();
                    }
                    return lowerBound + (e.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
                }
                lowerBound = e.getKey();
                lowerCount = e.getValue();
            }
            return increaseAtOrBelow.isEmpty() ? null : lowerBound; // above the last finite bound
        }
    }
}
