package io.adgrid.reporting.ops;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;

/**
 * One meter of one process, as the ops overview needs it: a counter's count, a gauge's value, a
 * timer's or summary's count, total and cumulative histogram buckets (timers in seconds).
 *
 * @param bucketBounds upper bounds of the histogram buckets (seconds for timers); empty when the meter publishes none
 * @param bucketCounts samples at or below each bound since the process started
 * @param percentiles  client-side percentiles the meter publishes (e.g. 0.5, 0.99), with {@code percentileValues}
 */
public record MeterSample(String name, Map<String, String> tags, Kind kind, double count, double total, double value,
                          double[] bucketBounds, double[] bucketCounts, double[] percentiles, double[] percentileValues)
        implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final double[] NONE = new double[0];

    public enum Kind { COUNTER, GAUGE, TIMER, SUMMARY }

    public String tag(String key) {
        return tags.getOrDefault(key, "");
    }

    /** Identity of the meter within its process: name and tags. */
    public String id() {
        return name + tags;
    }

    /** The sample of a meter, or null for kinds the overview does not use. */
    static MeterSample of(Meter meter) {
        String name = meter.getId().getName();
        Map<String, String> tags = new TreeMap<>();
        for (Tag t : meter.getId().getTagsAsIterable()) {
            tags.put(t.getKey(), t.getValue());
        }
        if (meter instanceof Counter c) {
            return new MeterSample(name, tags, Kind.COUNTER, c.count(), 0, 0, NONE, NONE, NONE, NONE);
        }
        if (meter instanceof FunctionCounter c) {
            return new MeterSample(name, tags, Kind.COUNTER, c.count(), 0, 0, NONE, NONE, NONE, NONE);
        }
        if (meter instanceof TimeGauge g) {
            return new MeterSample(name, tags, Kind.GAUGE, 0, 0, g.value(TimeUnit.SECONDS), NONE, NONE, NONE, NONE);
        }
        if (meter instanceof Gauge g) {
            return new MeterSample(name, tags, Kind.GAUGE, 0, 0, g.value(), NONE, NONE, NONE, NONE);
        }
        if (meter instanceof Timer t) {
            return distribution(name, tags, Kind.TIMER, t.takeSnapshot(), true);
        }
        if (meter instanceof DistributionSummary s) {
            return distribution(name, tags, Kind.SUMMARY, s.takeSnapshot(), false);
        }
        return null; // long task timers and custom meters: not used by the overview
    }

    private static MeterSample distribution(String name, Map<String, String> tags, Kind kind, HistogramSnapshot s, boolean time) {
        CountAtBucket[] buckets = s.histogramCounts();
        double[] bounds = new double[buckets.length];
        double[] counts = new double[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            bounds[i] = time ? buckets[i].bucket(TimeUnit.SECONDS) : buckets[i].bucket();
            counts[i] = buckets[i].count();
        }
        ValueAtPercentile[] pv = s.percentileValues();
        double[] ps = new double[pv.length];
        double[] vs = new double[pv.length];
        for (int i = 0; i < pv.length; i++) {
            ps[i] = pv[i].percentile();
            vs[i] = time ? pv[i].value(TimeUnit.SECONDS) : pv[i].value();
        }
        double total = time ? s.total(TimeUnit.SECONDS) : s.total();
        return new MeterSample(name, tags, kind, s.count(), total, time ? s.max(TimeUnit.SECONDS) : s.max(), bounds, counts, ps, vs);
    }
}
