package io.adgrid.reporting.stats;

import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.counters.CounterFilter;
import io.adgrid.grid.counters.MemorySnapshot;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SnapshotCampaignSums;
import io.adgrid.grid.counters.SnapshotCounters;
import io.adgrid.grid.counters.SnapshotReach;
import io.adgrid.grid.counters.ReachSketches;
import io.adgrid.grid.counters.RouteKeys;
import io.adgrid.grid.reach.ReachSketch;
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

    /**
     * The reach sketches the grid holds that PostgreSQL may not (issue 21) for a campaign or a banner
     * (0: any), by UTC day in [fromDay, toDay]. A banner's are read from its one entry.
     */
    public List<ReachSketch> reach(long campaign, long banner, long fromDay, long toDay) {
        SnapshotReach read = new SnapshotReach(campaign, banner, fromDay, toDay);
        java.util.Collection<ReachSketches> answers = banner != 0
                ? java.util.Collections.singletonList(counters.executeOnKey(RouteKeys.banner(banner), read))
                : counters.executeOnEntries(read).values();
        List<ReachSketch> out = new ArrayList<>();
        for (ReachSketches a : answers) {
            if (a != null) {
                out.addAll(a.sketches());
            }
        }
        return out;
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
