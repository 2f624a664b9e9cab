package io.adgrid.grid.testing;

import java.util.Objects;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SnapshotCounters;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * What the grid's counters hold, read back through any member: every sealed and pending count of
 * every entry, as a report would add them to an empty database. In a test without a write-behind,
 * that is everything the grid counted.
 */
public final class GridTotals {

    private GridTotals() {
    }

    /** Per counter key. */
    public static CounterDeltas byKey(HazelcastInstance via) {
        IMap<Long, RouteState> map = via.getMap(GridMember.COUNTERS_MAP);
        CounterDeltas all = new CounterDeltas();
        map.executeOnEntries(new SnapshotCounters(CounterFilter.all())).values().stream().filter(Objects::nonNull)
                .forEach(s -> all.addAll(s.unpersisted(Watermark.full(0))));
        return all;
    }

    /** Summed over every key. */
    public static Counts sum(HazelcastInstance via) {
        Counts sum = new Counts();
        byKey(via).asMap().values().forEach(sum::add);
        return sum;
    }
}
