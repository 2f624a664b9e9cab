package io.adgrid.grid.counters;

import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.SealedBatch;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Hazelcast serialization ids of the grid's types: compact, reflection-free and versioned by hand. */
public final class GridSerialization implements DataSerializableFactory {

    public static final int FACTORY_ID = 7101;
    static final int ROUTE_STATE = 1;
    static final int APPLY_BATCH = 2;
    static final int SEAL_PENDING = 3;
    static final int ACKNOWLEDGE_BATCHES = 4;
    static final int SNAPSHOT_COUNTERS = 5;
    static final int SEALED_BATCH = 6;
    static final int MEMORY_SNAPSHOT = 7;
    // 9 and 10 were the grid's two operations, now GridOperations' (io.adgrid.grid.hazelcast).
    static final int ENTRY_EPOCH = 11;
    static final int ACKNOWLEDGED_WATERMARK = 12;
    static final int SNAPSHOT_CAMPAIGN_SUMS = 13;
    static final int DROP_ENTRY = 14;
    static final int SNAPSHOT_REACH = 15;
    static final int REACH_SKETCHES = 16;
    /** Was a Java-serialized class of the persister until the grid port (issue 19). */
    static final int BACKLOG_PROBE = 17;

    @Override
    public IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case ROUTE_STATE -> new RouteState();
            case APPLY_BATCH -> new ApplyBatch();
            case SEAL_PENDING -> new SealPending();
            case ACKNOWLEDGE_BATCHES -> new AcknowledgeBatches();
            case SNAPSHOT_COUNTERS -> new SnapshotCounters();
            case SEALED_BATCH -> new SealedBatchData();
            case MEMORY_SNAPSHOT -> new MemorySnapshotData();
            case ENTRY_EPOCH -> new EntryEpoch();
            case ACKNOWLEDGED_WATERMARK -> new AcknowledgedWatermark();
            case SNAPSHOT_CAMPAIGN_SUMS -> new SnapshotCampaignSums();
            case DROP_ENTRY -> new DropEntry();
            case SNAPSHOT_REACH -> new SnapshotReach();
            case REACH_SKETCHES -> new ReachSketches();
            case BACKLOG_PROBE -> new BacklogProbe();
            default -> throw new IllegalArgumentException("unknown AdGrid class id " + classId);
        };
    }
}
