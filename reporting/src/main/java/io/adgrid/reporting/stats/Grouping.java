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

    /** SQL select expression over a counter table whose time column is {@code timeColumn} (at most one parameter: the zone). */
    String sql(String timeColumn);

    /** The group key of one counter held in memory. */
    Object keyOf(CounterKey key);

    /** The group key as JDBC returns it for {@link #sql()}. */
    Object keyOf(Object sqlValue);

    /** Buckets of time in a zone: the local start of the minute, hour or day. */
    record ByTime(Granularity granularity, ZoneId zone) implements Grouping {
        @Override
        public String sql(String timeColumn) {
            return granularity == Granularity.TOTAL ? "0" : "date_trunc('" + granularity.sqlUnit + "', " + timeColumn + " AT TIME ZONE ?)";
        }

        /**
         * The zone as PostgreSQL must be told it. A region id is passed as is; a fixed offset is
         * written in POSIX form, because PostgreSQL reads "+05:30" or "UTC+05:30" as POSIX, that
         * is as 5:30 WEST of Greenwich, the opposite of what Java (and ISO-8601) means by it.
         */
        public String sqlZone() {
            if (!zone.getRules().isFixedOffset()) {
                return zone.getId();
            }
            int east = zone.getRules().getOffset(Instant.EPOCH).getTotalSeconds();
            if (east == 0) {
                return "UTC";
            }
            int abs = Math.abs(east);
            return String.format(java.util.Locale.ROOT, "UTC%s%02d:%02d:%02d", east > 0 ? "-" : "+", abs / 3600, abs / 60 % 60, abs % 60);
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
            return granularity == Granularity.TOTAL ? 0 : (LocalDateTime) sqlValue;
        }
    }

    /** One group per campaign, banner or publisher id. */
    record ById(Dimension dimension) implements Grouping {
        @Override
        public String sql(String timeColumn) {
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
