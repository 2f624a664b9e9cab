package io.adgrid.grid.counters;

import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.adgrid.bench.BenchEvents;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Pre-aggregation: a batch of 2,000 impressions at demo cardinality (banner, publisher, minute
 * keys) counted into fresh {@link CounterDeltas}, as {@code RouteState.recordBeacon} does; baseline,
 * a bare {@code HashMap<CounterKey, long[]>}. Scores are per event.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PreAggregationBenchmark {

    private List<GridEvent> events;

    @Setup
    public void setUp() {
        events = BenchEvents.impressions(BenchEvents.BATCH, 11);
        long counted = 0;
        for (Counts c : counterDeltas().asMap().values()) {
            counted += c.impressions;
        }
        if (counted != BenchEvents.BATCH) {
            throw new IllegalStateException("counted " + counted + " of " + BenchEvents.BATCH);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BenchEvents.BATCH)
    public HashMap<CounterKey, long[]> baseline() {
        HashMap<CounterKey, long[]> counts = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            counts.computeIfAbsent(events.get(i).counterKey(), k -> new long[4])[0]++;
        }
        return counts;
    }

    @Benchmark
    @OperationsPerInvocation(BenchEvents.BATCH)
    public CounterDeltas counterDeltas() {
        CounterDeltas deltas = new CounterDeltas();
        for (int i = 0; i < events.size(); i++) {
            deltas.at(events.get(i).counterKey()).impressions++;
        }
        return deltas;
    }
}
