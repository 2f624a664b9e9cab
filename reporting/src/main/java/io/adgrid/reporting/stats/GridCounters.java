package io.adgrid.reporting.stats;

import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.counters.CounterFilter;
import io.adgrid.grid.counters.MemorySnapshot;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SnapshotCampaignSums;
import io.adgrid.grid.counters.SnapshotCounters;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/** The counts the grid holds that may not be in PostgreSQL yet. */
public final class GridCounters {

    private final IMap<Long, RouteState> counters;

    public GridCounters(HazelcastInstance grid) {
        this.counters = grid.getMap(GridMember.COUNTERS_MAP);
    }

    public List<MemorySnapshot> snapshot(CounterFilter filter) {
        return collect(counters.executeOnEntries(new SnapshotCounters(filter)).values());
    }

    /** The unpersisted counts of these campaigns in [fromMinute, toMinute), summed per campaign and minute by each entry. */
    public List<MemorySnapshot> campaignSums(java.util.Collection<Long> campaigns, long fromMinute, long toMinute) {
        if (campaigns.isEmpty()) {
            return List.of();
        }
        long[] ids = campaigns.stream().mapToLong(Long::longValue).toArray();
        return collect(counters.executeOnEntries(new SnapshotCampaignSums(ids, fromMinute, toMinute)).values());
    }

    private static List<MemorySnapshot> collect(java.util.Collection<MemorySnapshot> answers) {
        List<MemorySnapshot> out = new ArrayList<>();
        answers.forEach(s -> {
            if (s != null) {
                out.add(s);
            }
        });
        return out;
    }
}
