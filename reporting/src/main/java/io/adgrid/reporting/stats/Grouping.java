package io.adgrid.reporting.stats;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import io.adgrid.grid.port.CounterKey;

/**
 * How counters are grouped for an answer, said twice in one place: as SQL for what PostgreSQL
 * holds and as Java for what the grid holds, so both sides produce the same keys.
 */
sealed interface Grouping {

    /**
     * SQL select expression over a counter table aliased {@code r} whose time column is {@code timeColumn}
     * ({@code r.minute}, ...); its parameters are {@link #sqlParameters()}.
     */
    String sql(String timeColumn);

    /** The values of the {@code ?} in {@link #sql}, in order. */
    default List<String> sqlParameters() {
        return List.of();
    }

    /** The group key of one counter held in memory. */
    Object keyOf(CounterKey key);

    /** The group key as JDBC returns it for {@link #sql}. */
    Object keyOf(Object sqlValue);

    /**
     * Buckets of time in a zone, keyed by the bucket's start with its UTC offset. A minute or an hour
     * bucket is a real stretch of time, so the local hour that happens twice when clocks go back is
     * two buckets, told apart by their offsets (02:00+02:00, then 02:00+01:00); a day bucket is a
     * local date, starting at its first instant.
     */
    record ByTime(Granularity granularity, ZoneId zone) implements Grouping {
        @Override
        public String sql(String timeColumn) {
            String local = timeColumn + " AT TIME ZONE ?";
            return switch (granularity) {
                case TOTAL -> "0";
                case DAY -> "date_trunc('day', " + local + ")";
                // The instant the local minute or hour began, at the offset of the time itself: never
                // through a local time alone, which names two instants when clocks go back.
                default -> timeColumn + " - ((" + local + ") - date_trunc('" + granularity.sqlUnit + "', " + local + "))";
            };
        }

        @Override
        public List<String> sqlParameters() {
            return switch (granularity) {
                case TOTAL -> List.of();
                case DAY -> List.of(sqlZone());
                default -> List.of(sqlZone(), sqlZone());
            };
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
            Instant t = Instant.ofEpochSecond(key.minute() * 60);
            return switch (granularity) {
                case TOTAL -> 0;
                case DAY -> dayStart(LocalDate.ofInstant(t, zone));
                default -> {
                    LocalDateTime local = LocalDateTime.ofInstant(t, zone);
                    yield at(t.minus(Duration.between(local.truncatedTo(granularity.unit), local)));
                }
            };
        }

        @Override
        public Object keyOf(Object sqlValue) {
            return switch (granularity) {
                case TOTAL -> 0;
                case DAY -> dayStart(((LocalDateTime) sqlValue).toLocalDate());
                default -> at(((OffsetDateTime) sqlValue).toInstant());
            };
        }

        /** The JDBC type {@link #keyOf(Object)} expects for this grouping's column, or null for any. */
        Class<?> sqlType() {
            return switch (granularity) {
                case TOTAL -> null;
                case DAY -> LocalDateTime.class;
                default -> OffsetDateTime.class;
            };
        }

        private OffsetDateTime at(Instant start) {
            return start.atZone(zone).toOffsetDateTime();
        }

        private OffsetDateTime dayStart(LocalDate date) {
            return date.atStartOfDay(zone).toOffsetDateTime();
        }
    }

    /** One group per campaign, banner or publisher id. */
    record ById(Dimension dimension) implements Grouping {
        @Override
        public String sql(String timeColumn) {
            return "r." + dimension.column; // the counter table is aliased r (StatsRepository)
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
