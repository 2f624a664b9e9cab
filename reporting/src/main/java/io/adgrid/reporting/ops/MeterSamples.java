package io.adgrid.reporting.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.member.MemberMeters;
import io.adgrid.grid.member.MemberSnapshotTask;
import io.adgrid.grid.member.MeterSample;
import com.hazelcast.core.HazelcastInstance;
import io.adgrid.grid.member.MeterSample.Kind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;

/** A process's Micrometer meters as the {@link MeterSample}s its grid member answers the ops overview with. */
public final class MeterSamples {

    private static final double[] NONE = MeterSample.NONE;

    private MeterSamples() {
    }

    /** Makes {@code member}'s snapshots carry the meters of {@code registry}, this process's ({@link MemberSnapshotTask}). */
    public static void publish(HazelcastInstance member, MeterRegistry registry) {
        member.getUserContext().put(MemberSnapshotTask.METERS, (MemberMeters) () -> of(registry));
    }

    /** The AdGrid and GC pause meters of {@code registry}. */
    public static List<MeterSample> of(MeterRegistry registry) {
        List<MeterSample> out = new ArrayList<>();
        for (Meter m : registry.getMeters()) {
            String name = m.getId().getName();
            if (name.startsWith("adgrid.") || name.equals("jvm.gc.pause")) {
                MeterSample s = of(m);
                if (s != null) {
                    out.add(s);
                }
            }
        }
        return out;
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
