package io.adgrid.grid.hazelcast;


import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.adgrid.bench.BenchEvents;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.GridSerialization;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Batch encoding: Hazelcast serialization of an {@link ApplyBatch} of 2,000 impressions (the
 * gateway's side, {@code encode}) and back (the member's side, {@code decode}), through a
 * serialization service with the grid's factory, as members and gateways configure it. Baseline:
 * the same fields written into a reused {@link ByteBuffer}, the floor any encoding pays. Scores
 * are per event; bytes per event: {@link #bytesPerEvent}, printed by {@code BenchMain}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BatchEncodingBenchmark {

    private InternalSerializationService serialization;
    private Map<Long, List<GridEvent>> eventsByKey;
    private ApplyBatch batch;
    private Data encoded;
    private ByteBuffer buffer;

    @Setup
    public void setUp() {
        serialization = serializationService();
        eventsByKey = BenchEvents.byRouteKey(BenchEvents.impressions(BenchEvents.BATCH, 13));
        batch = new ApplyBatch(new BatchId(0x5EED_0001L, 42), Math.floorDiv(BenchEvents.NOW, 60_000L) + 60, eventsByKey);
        encoded = serialization.toData(batch);
        buffer = ByteBuffer.allocate(encoded.totalSize() * 2);
        ApplyBatch decoded = serialization.toObject(encoded);
        if (decoded.eventCount() != BenchEvents.BATCH || !decoded.batchId().equals(batch.batchId())) {
            throw new IllegalStateException("the batch does not survive serialization");
        }
    }

    @TearDown
    public void tearDown() {
        serialization.dispose();
    }

    static InternalSerializationService serializationService() {
        return new DefaultSerializationServiceBuilder()
                .addDataSerializableFactory(GridSerialization.FACTORY_ID, new GridSerialization())
                .build();
    }

    @Benchmark
    @OperationsPerInvocation(BenchEvents.BATCH)
    public int baseline() {
        ByteBuffer out = buffer.clear();
        out.putLong(0x5EED_0001L).putLong(42).putLong(0).putInt(eventsByKey.size());
        for (Map.Entry<Long, List<GridEvent>> e : eventsByKey.entrySet()) {
            out.putLong(e.getKey()).putInt(e.getValue().size());
            for (GridEvent event : e.getValue()) {
                out.put((byte) event.type().code()).putLong(event.campaignId()).putLong(event.bannerId())
                        .putLong(event.publisherId()).putLong(event.tsMillis()).putLong(event.idHi()).putLong(event.idLo());
            }
        }
        return out.position();
    }

    @Benchmark
    @OperationsPerInvocation(BenchEvents.BATCH)
    public Data encode() {
        return serialization.toData(batch);
    }

    @Benchmark
    @OperationsPerInvocation(BenchEvents.BATCH)
    public ApplyBatch decode() {
        return serialization.toObject(encoded);
    }

    /** Serialized bytes per event of an ApplyBatch of {@code events} impressions at demo cardinality. */
    public static double bytesPerEvent(int events) {
        InternalSerializationService s = serializationService();
        try {
            Data data = s.toData(new ApplyBatch(new BatchId(1, 1), 0, BenchEvents.byRouteKey(BenchEvents.impressions(events, 17))));
            return (double) data.totalSize() / events;
        } finally {
            s.dispose();
        }
    }
}
