package io.adgrid.reporting.stats;

import java.util.Collection;
import java.util.List;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.reach.ReachSketch;
import com.hazelcast.core.HazelcastInstance;

/** The counts the grid holds that may not be in PostgreSQL yet: the reports' read of the grid port. */
public final class GridCounters {

    private final CounterGrid grid;

    public GridCounters(HazelcastInstance member) {
        this(GridMember.counterGrid(member));
    }

    public GridCounters(CounterGrid grid) {
        this.grid = grid;
    }

    public List<MemorySnapshot> snapshot(CounterFilter filter) {
        return grid.snapshot(filter);
    }

    /** The unpersisted counts of these campaigns in [fromMinute, toMinute), summed per campaign and minute by each entry. */
    public List<MemorySnapshot> campaignSums(Collection<Long> campaigns, long fromMinute, long toMinute) {
        return grid.campaignSums(campaigns, fromMinute, toMinute);
    }

    /**
     * The reach sketches the grid holds that PostgreSQL may not (issue 21) for a campaign or a banner
     * (0: any), by UTC day in [fromDay, toDay]. A banner's are read from its one entry.
     */
    public List<ReachSketch> reach(long campaign, long banner, long fromDay, long toDay) {
        return grid.reach(campaign, banner, fromDay, toDay);
    }
}
