package io.adgrid.reporting.stats;

import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.counters.CounterFilter;
import io.adgrid.grid.counters.MemorySnapshot;
import io.adgrid.grid.counters.RouteState;
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
        List<MemorySnapshot> out = new ArrayList<>();
        counters.executeOnEntries(new SnapshotCounters(filter)).values().forEach(s -> {
            if (s != null) {
                out.add(s);
            }
        });
        return out;
    }
}
