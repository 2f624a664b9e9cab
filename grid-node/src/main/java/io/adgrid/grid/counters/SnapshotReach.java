package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import io.adgrid.grid.reach.ReachSketch;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Reads the users an entry reached that PostgreSQL may not hold yet (issue 21), for a report of one
 * campaign or one banner over UTC days [fromDay, toDay]. A user also in PostgreSQL is counted once:
 * reports take the union.
 */
public final class SnapshotReach implements EntryProcessor<Long, RouteState, ReachSketches>, ReadOnly,
        IdentifiedDataSerializable {

    private long campaign;
    private long banner;
    private long fromDay;
    private long toDay;

    public SnapshotReach() {
    }

    /** @param campaign 0 for any; @param banner 0 for any */
    public SnapshotReach(long campaign, long banner, long fromDay, long toDay) {
        this.campaign = campaign;
        this.banner = banner;
        this.fromDay = fromDay;
        this.toDay = toDay;
    }

    @Override
    public ReachSketches process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        if (state == null) {
            return null;
        }
        List<ReachSketch> found = state.reachOf(campaign, banner, fromDay, toDay);
        return found.isEmpty() ? null : new ReachSketches(found);
    }

    @Override
    public EntryProcessor<Long, RouteState, ReachSketches> getBackupProcessor() {
        return null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.SNAPSHOT_REACH;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLong(campaign);
        out.writeLong(banner);
        out.writeLong(fromDay);
        out.writeLong(toDay);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        campaign = in.readLong();
        banner = in.readLong();
        fromDay = in.readLong();
        toDay = in.readLong();
    }
}
