package io.adgrid.reporting.stats;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import io.adgrid.grid.counters.CounterKey;

/**
 * How counters are grouped for an answer, said twice in one place: as SQL for what PostgreSQL
 * holds and as Java for what the grid holds, so both sides produce the same keys.
 */
sealed interface Grouping {

    /** SQL select expression (with at most one parameter, bound by {@link #bind}). */
    String sql();

    /** The group key of one counter held in memory. */
    Object keyOf(CounterKey key);

    /** The group key as JDBC returns it for {@link #sql()}. */
    Object keyOf(Object sqlValue);

    /** Buckets of time in a zone: the local start of the minute, hour or day. */
    record ByTime(Granularity granularity, ZoneId zone) implements Grouping {
        @Override
        public String sql() {
            return granularity == Granularity.TOTAL ? "0" : "date_trunc('" + granularity.sqlUnit + "', minute AT TIME ZONE ?)";
        }

        @Override
        public Object keyOf(CounterKey key) {
            if (granularity == Granularity.TOTAL) {
                return 0;
            }
            return LocalDateTime.ofInstant(Instant.ofEpochSecond(key.minute() * 60), zone).truncatedTo(granularity.unit);
        }

        @Override
        public Object keyOf(Object sqlValue) {
            return granularity == Granularity.TOTAL ? 0 : ((java.sql.Timestamp) sqlValue).toLocalDateTime();
        }
    }

    /** One group per campaign, banner or publisher id. */
    record ById(Dimension dimension) implements Grouping {
        @Override
        public String sql() {
            return dimension.column;
        }

        @Override
        public Object keyOf(CounterKey key) {
            return switch (dimension) {
                case CAMPAIGN -> key.campaignId();
                case BANNER -> key.bannerId();
                case PUBLISHER -> key.publisherId();
            };
        }

        @Override
        public Object keyOf(Object sqlValue) {
            return ((Number) sqlValue).longValue();
        }
    }
}
