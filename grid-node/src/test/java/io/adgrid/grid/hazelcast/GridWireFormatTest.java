package io.adgrid.grid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import io.adgrid.grid.counters.GridSerialization;
import io.adgrid.grid.counters.MemorySnapshotData;
import io.adgrid.grid.counters.SealedBatchData;
import io.adgrid.grid.member.MemberSerialization;
import io.adgrid.grid.member.MemberSnapshot;
import io.adgrid.grid.member.MemberSnapshotTask;
import io.adgrid.grid.member.MeterSample;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.reach.ReachSketch;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import org.junit.jupiter.api.Test;

/**
 * Issue 19: the port's values left grid.counters, their bytes did not. Members of two versions meet in a
 * rolling restart, so a sealed batch and a memory snapshot must read as before. The expected bytes were
 * written by the classes before the port ({@code io.adgrid.grid.counters.SealedBatch} and
 * {@code MemorySnapshot}, commit 6c29b30) for the same values.
 */
class GridWireFormatTest {

    private static final String SEALED_BATCH_BEFORE_THE_PORT = "00000000fffffffe0100001bbd0000000600000000000000010000000000000002000000000000000300000000000000"
            + "040000000100000000000000050000000000000006000000000000000700000000000000080000000000000009000000"
            + "000000000a000000000000000b000000000000000c000000000000000d000000000000000e000000000000000f000000"
            + "000000001000000000000000110100000000000000120000000000000013000000010000000000000014000000000000"
            + "0015000000000000001600000003010203";

    private static final String MEMORY_SNAPSHOT_BEFORE_THE_PORT = "00000000fffffffe0100001bbd0000000700000000000000010000000000000002000000000000000300000001000000"
            + "00000000050000000000000006000000000000000700000000000000080000000000000009000000000000000a000000"
            + "000000000b000000000000000c000000000000000d000000000000000e00000000000000180000000100000000000000"
            + "19000000000000001a000000000000001b000000000000001c000000000000001d000000000000001e00000000000000"
            + "1f000000000000002000000000000000210000000000000022";

    private final SerializationService serialization = new DefaultSerializationServiceBuilder()
            .addDataSerializableFactory(GridSerialization.FACTORY_ID, new GridSerialization())
            .addDataSerializableFactory(MemberSerialization.FACTORY_ID, new MemberSerialization()).build();

    @Test
    void aSealedBatchCrossesTheNetworkInTheBytesItHadBeforeThePort() {
        SealedBatch batch = new SealedBatch(1, 2, 3, 4, deltas(), new Watermark(15, 16, 17),
                List.of(new ReachSketch(20, 21, 22, new byte[] {1, 2, 3}))).inLife(new UUID(18, 19));
        Data data = serialization.toData(wire(batch));
        assertThat(HexFormat.of().formatHex(data.toByteArray())).isEqualTo(SEALED_BATCH_BEFORE_THE_PORT);

        SealedBatch read = serialization.toObject(data);
        assertThat(read).isInstanceOf(SealedBatchData.class);
        assertThat(read.epoch()).isEqualTo(new UUID(1, 2));
        assertThat(read.seq()).isEqualTo(3);
        assertThat(read.cutMinute()).isEqualTo(4);
        assertThat(read.deltas().asMap()).isEqualTo(deltas().asMap());
        assertThat(read.acknowledged()).isEqualTo(new Watermark(15, 16, 17));
        assertThat(read.life()).isEqualTo(new UUID(18, 19));
        assertThat(read.reach()).singleElement().satisfies(r -> {
            assertThat(r.bannerId()).isEqualTo(20);
            assertThat(r.sketch()).containsExactly(1, 2, 3);
        });
    }

    @Test
    void aMemorySnapshotCrossesTheNetworkInTheBytesItHadBeforeThePort() {
        CounterDeltas pending = new CounterDeltas();
        pending.add(new CounterKey(25, 26, 27, 28), new Counts(29, 30, 31, 32, 33, 34));
        MemorySnapshot snapshot = new MemorySnapshot(1, 2, 3, deltas(), 24, pending);
        Data data = serialization.toData(wire(snapshot));
        assertThat(HexFormat.of().formatHex(data.toByteArray())).isEqualTo(MEMORY_SNAPSHOT_BEFORE_THE_PORT);

        MemorySnapshot read = serialization.toObject(data);
        assertThat(read).isInstanceOf(MemorySnapshotData.class);
        assertThat(read.epoch()).isEqualTo(new UUID(1, 2));
        assertThat(read.unpersisted(Watermark.NONE).asMap()).isEqualTo(snapshot.unpersisted(Watermark.NONE).asMap());
    }

    /** The ops overview's member snapshot is a grid type now (it was a Java-serialized reporting class): all of it arrives. */
    @Test
    void aMemberSnapshotArrivesWithItsMeters() {
        MeterSample timer = new MeterSample("adgrid.grid.batch.latency", Map.of("k", "v"), MeterSample.Kind.TIMER, 3, 0.5, 0.25,
                new double[] {0.1, 1}, new double[] {2, 3}, new double[] {0.99}, new double[] {0.2});
        MeterSample gauge = new MeterSample("adgrid.writebehind.lag", Map.of(), MeterSample.Kind.GAUGE, 0, 0, 1.5,
                MeterSample.NONE, MeterSample.NONE, MeterSample.NONE, MeterSample.NONE);
        MemberSnapshot sent = new MemberSnapshot("uuid-1", "[127.0.0.1]:5701", true, 7, 8, 9, 10, 11, 12, List.of(timer, gauge));
        Object task = serialization.toObject(serialization.toData(new MemberSnapshotTask()));
        assertThat(task).isInstanceOf(MemberSnapshotTask.class);

        MemberSnapshot read = ((MemberSnapshotTask.Answer) serialization.toObject(serialization.toData(new MemberSnapshotTask.Answer(sent)))).snapshot();
        assertThat(read).usingRecursiveComparison().isEqualTo(sent);
        assertThat(read.meters().get(0).bucketCounts()).containsExactly(2, 3);
        assertThat(read.meters().get(0).percentileValues()).containsExactly(0.2);
    }

    private static CounterDeltas deltas() {
        CounterDeltas deltas = new CounterDeltas();
        deltas.add(new CounterKey(5, 6, 7, 8), new Counts(9, 10, 11, 12, 13, 14));
        return deltas;
    }

    /** The value as the grid's processors answer it. */
    private static Object wire(Object value) {
        return value instanceof SealedBatch b ? SealedBatchData.of(b) : MemorySnapshotData.of((MemorySnapshot) value);
    }
}
