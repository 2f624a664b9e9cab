package io.adgrid.grid.counters;

import io.adgrid.grid.port.MemorySnapshot;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * The unpersisted counts of some campaigns, summed per campaign and minute on the partition thread
 * (issue 21's pacing monitor): each entry answers a few sums instead of every banner and publisher
 * key, so a refresh moves little however many keys a campaign has. Its keys have banner and
 * publisher 0; the watermark test of {@link MemorySnapshot#unpersisted} needs only the minute.
 */
public final class SnapshotCampaignSums
        implements EntryProcessor<Long, RouteState, MemorySnapshotData>, ReadOnly, IdentifiedDataSerializable {

    private long[] campaigns;
    private long fromMinute;
    private long toMinute;

    public SnapshotCampaignSums() {
    }

    public SnapshotCampaignSums(long[] campaigns, long fromMinute, long toMinute) {
        this.campaigns = campaigns.clone();
        Arrays.sort(this.campaigns);
        this.fromMinute = fromMinute;
        this.toMinute = toMinute;
    }

    @Override
    public MemorySnapshotData process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        return state == null ? null : MemorySnapshotData.of(state.campaignSums(campaigns, fromMinute, toMinute));
    }

    @Override
    public EntryProcessor<Long, RouteState, MemorySnapshotData> getBackupProcessor() {
        return null;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.SNAPSHOT_CAMPAIGN_SUMS;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeInt(campaigns.length);
        for (long c : campaigns) {
            out.writeLong(c);
        }
        out.writeLong(fromMinute);
        out.writeLong(toMinute);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 10_000_000) {
            throw new IOException("bad campaign count " + n);
        }
        campaigns = new long[n];
        for (int i = 0; i < n; i++) {
            campaigns[i] = in.readLong();
        }
        fromMinute = in.readLong();
        toMinute = in.readLong();
    }
}
