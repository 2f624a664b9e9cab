package io.adgrid.reporting.stats;

import java.time.Instant;
import io.adgrid.grid.port.CounterFilter;

/**
 * Which counters a report covers: those of one campaign, banner or publisher (or all, when
 * {@code dimension} is null) whose minute starts in [from, to).
 */
public record Selection(Dimension dimension, long id, Instant from, Instant to) {

    /** Minutes m with m * 60 s in [from, to), as the SQL "minute >= from AND minute < to" selects them. */
    CounterFilter toFilter() {
        long fromMinute = -Math.floorDiv(-from.toEpochMilli(), 60_000L);
        long toMinute = -Math.floorDiv(-to.toEpochMilli(), 60_000L);
        return dimension == null
                ? new CounterFilter(CounterFilter.Dimension.ALL, 0, fromMinute, toMinute)
                : new CounterFilter(dimension.filter, id, fromMinute, toMinute);
    }
}
