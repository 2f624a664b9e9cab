package io.adgrid.persister.rollup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls closed hours of counter_minute up into counter_hour, closed days of counter_hour into
 * counter_day, and drops the partitions of detail older than its retention (issue 22): minutes by
 * the UTC day, hours by the month and, with a day retention, days by the year.
 *
 * <p>Each hour or day is rolled in one transaction that also moves its boundary in
 * {@code rollup_state}, holding that row {@code FOR UPDATE}: a write-behind transaction holds it
 * {@code FOR SHARE}, so a count is either committed before the roll reads the finer table, or
 * written after it, into the coarser table as well. Interrupted anywhere, a roll leaves nothing;
 * run again, it does the same work once. Old detail goes by dropping whole partitions (never a
 * mass DELETE), after the boundary that tells readers and writers to stop using it has moved.
 * Any process may run the job; a session advisory lock lets one run at a time.
 */
public final class RollupJob {

    private static final Logger log = LoggerFactory.getLogger(RollupJob.class);
    private static final long LOCK = 0x4144_4752_4f4c_4cL; // "ADGROLL"
    /** Most hours rolled per run, so a long backlog is caught up over several runs, not one long one. */
    private static final int MAX_HOURS_PER_RUN = 48;

    /**
     * @param minuteRetention how long minute detail is kept (days, whole UTC days dropped)
     * @param hourRetention   how long hour rows are kept (whole UTC months dropped)
     * @param hourDelay       how long after an hour ends it is rolled (late counts are added anyway)
     * @param dayRetention    how long day rows and their summaries are kept (whole UTC years dropped, once they
     *                        end before it); null: forever. At least the hour and the minute retention
     */
    public record Settings(Duration minuteRetention, Duration hourRetention, Duration hourDelay, Duration dayRetention) {
        public static final Settings DEFAULT = new Settings(Duration.ofDays(7), Duration.ofDays(400), Duration.ofMinutes(5));

        public Settings {
            if (minuteRetention.compareTo(Duration.ofDays(1)) < 0 || hourRetention.compareTo(Duration.ofDays(31)) < 0) {
                throw new IllegalArgumentException("minute retention must be at least 1 day and hour retention at least 31 days");
            }
            if (dayRetention != null && (dayRetention.compareTo(hourRetention) < 0 || dayRetention.compareTo(minuteRetention) < 0)) {
                throw new IllegalArgumentException("day retention " + dayRetention + " must be at least the hour retention " + hourRetention
                        + " and the minute retention " + minuteRetention + " (or null: days kept forever)");
            }
        }

        /** Days (and their summaries) kept forever. */
        public Settings(Duration minuteRetention, Duration hourRetention, Duration hourDelay) {
            this(minuteRetention, hourRetention, hourDelay, null);
        }
    }

    /** What one run did. */
    public record Result(int hoursRolled, int daysRolled, long rowsRolled, int partitionsDropped, boolean ran) {
        static final Result SKIPPED = new Result(0, 0, 0, 0, false);
    }

    /** The job's state as the dashboard shows it. */
    public record Status(Instant hoursUntil, Instant daysUntil, Instant minutesFrom, Instant hoursFrom, Instant daysFrom,
                         Instant lastRun, long rowsRolled, long partitionsDropped) {
        /** How far the hour rollup is behind: the time since the oldest hour not rolled yet ended. */
        public Duration lag(Instant now) {
            Duration d = Duration.between(hoursUntil.plus(1, ChronoUnit.HOURS), now);
            return d.isNegative() ? Duration.ZERO : d;
        }
    }

    private final DataSource dataSource;
    private final Settings settings;

    public RollupJob(DataSource dataSource, Settings settings) {
        this.dataSource = dataSource;
        this.settings = settings;
    }

    /** Rolls what is due at {@code now} and drops what is past retention; skipped while another process runs it. */
    public Result run(Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            if (!advisoryLock(c, "pg_try_advisory_lock")) {
                return Result.SKIPPED;
            }
            try {
                return runLocked(c, now);
            } finally {
                c.setAutoCommit(true);
                advisoryLock(c, "pg_advisory_unlock");
            }
        }
    }

    private Result runLocked(Connection c, Instant now) throws SQLException {
        long dueUntil = RollupBoundaries.minute(java.sql.Timestamp.from(now.minus(settings.hourDelay())));
        int hours = 0;
        int days = 0;
        long rows = 0;
        RollupBoundaries b = current(c);
        while (hours < MAX_HOURS_PER_RUN && b.hoursUntil() + 60 <= dueUntil) {
            rows += roll(c, CounterTable.MINUTE, CounterTable.HOUR, b.hoursUntil(), "hours_until");
            hours++;
            b = current(c);
        }
        while (b.daysUntil() + 24 * 60 <= b.hoursUntil()) {
            rows += roll(c, CounterTable.HOUR, CounterTable.DAY, b.daysUntil(), "days_until");
            days++;
            b = current(c);
        }
        int dropped = dropMinutes(c, now, b) + dropHours(c, now, b);
        dropped += dropDays(c, now, current(c));
        c.setAutoCommit(true);
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE rollup_state SET last_run = now(), rows_rolled = rows_rolled + ?, partitions_dropped = partitions_dropped + ? WHERE id = 1")) {
            ps.setLong(1, rows);
            ps.setLong(2, dropped);
            ps.executeUpdate();
        }
        if (hours + days + dropped > 0) {
            log.info("rollup: {} hour(s) and {} day(s) rolled ({} rows), {} partition(s) dropped", hours, days, rows, dropped);
        }
        return new Result(hours, days, rows, dropped, true);
    }

    /** Rolls the {@code to}-row starting at {@code start} (epoch minutes) from {@code from} and moves {@code boundary} past it. */
    private static long roll(Connection c, CounterTable from, CounterTable to, long start, String boundary) throws SQLException {
        c.setAutoCommit(false);
        try {
            long locked = lockBoundary(c, boundary);
            if (locked != start) {
                c.rollback();
                return 0;
            }
            ensurePartitions(c, to, LongStream.of(start));
            long rows;
            try (PreparedStatement ps = c.prepareStatement(("INSERT INTO %1$s (%2$s, campaign_id, banner_id, publisher_id,"
                    + " impressions, clicks, conversions, revenue_micros, suspect_clicks, invalid)"
                    + " SELECT ?, campaign_id, banner_id, publisher_id, sum(impressions), sum(clicks), sum(conversions),"
                    + " sum(revenue_micros), sum(suspect_clicks), sum(invalid) FROM %3$s WHERE %4$s >= ? AND %4$s < ?"
                    + " GROUP BY campaign_id, banner_id, publisher_id").formatted(to.table, to.column, from.table, from.column))) {
                ps.setTimestamp(1, RollupBoundaries.timestamp(start));
                ps.setTimestamp(2, RollupBoundaries.timestamp(start));
                ps.setTimestamp(3, RollupBoundaries.timestamp(start + to.minutes));
                rows = ps.executeUpdate();
            }
            // The summaries of the rows just written, in the same transaction: complete exactly where `to` is.
            for (Summary summary : Summary.of(to)) {
                ensurePartitions(c, summary.table, LongStream.of(start));
                try (PreparedStatement ps = c.prepareStatement(summary.rollSql())) {
                    ps.setTimestamp(1, RollupBoundaries.timestamp(start));
                    ps.executeUpdate();
                }
            }
            setBoundary(c, boundary, start + to.minutes);
            c.commit();
            return rows;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    /** Drops counter_minute days before both the retention and the rolled hours. */
    private int dropMinutes(Connection c, Instant now, RollupBoundaries b) throws SQLException {
        long keepFrom = Math.min(startOfDay(now.minus(settings.minuteRetention())), b.hoursUntil() - Math.floorMod(b.hoursUntil(), 24 * 60));
        if (keepFrom > b.minutesFrom()) {
            moveBoundary(c, "minutes_from", keepFrom);
        }
        return dropPartitions(c, CounterTable.MINUTE.table, Math.max(keepFrom, b.minutesFrom()));
    }

    /** Drops counter_hour months before both the retention and the rolled days. */
    private int dropHours(Connection c, Instant now, RollupBoundaries b) throws SQLException {
        long keepFrom = Math.min(startOfMonth(now.minus(settings.hourRetention())), startOfMonth(Instant.ofEpochSecond(b.daysUntil() * 60)));
        if (keepFrom > b.hoursFrom()) {
            moveBoundary(c, "hours_from", keepFrom);
        }
        int dropped = dropPartitions(c, CounterTable.HOUR.table, Math.max(keepFrom, b.hoursFrom()));
        for (Summary summary : Summary.of(CounterTable.HOUR)) {
            dropped += dropPartitions(c, summary.table, Math.max(keepFrom, b.hoursFrom()));
        }
        return dropped;
    }

    /**
     * Drops counter_day years, and its summaries', before the day retention (none without one) and
     * before every finer table's boundary, so that no table holds anything before {@code days_from}.
     */
    private int dropDays(Connection c, Instant now, RollupBoundaries b) throws SQLException {
        if (settings.dayRetention() != null) {
            long keepFrom = Math.min(startOfYear(now.minus(settings.dayRetention())),
                    Math.min(startOfYear(b.daysUntil()), Math.min(startOfYear(b.hoursFrom()), startOfYear(b.minutesFrom()))));
            if (keepFrom > b.daysFrom()) {
                moveBoundary(c, "days_from", keepFrom);
                b = current(c);
            }
        }
        // Before days_from only: a year whose drop waited too long for its readers is dropped at the next run.
        int dropped = dropPartitions(c, CounterTable.DAY.table, b.daysFrom());
        for (Summary summary : Summary.of(CounterTable.DAY)) {
            dropped += dropPartitions(c, summary.table, b.daysFrom());
        }
        deleteReachBefore(c, b.daysFrom());
        return dropped;
    }

    /**
     * Deletes the reach of the days before {@code days_from} (epoch minutes). Its tables are not
     * partitioned (a row per banner and day), so the rows go by bounded deletes, each its own
     * transaction; writers add no reach before days_from once the boundary has moved.
     */
    private static void deleteReachBefore(Connection c, long daysFrom) throws SQLException {
        c.setAutoCommit(true);
        java.sql.Date before = java.sql.Date.valueOf(LocalDate.ofEpochDay(Math.floorDiv(daysFrom, 24 * 60)));
        long deleted = 0;
        for (String table : new String[] {"reach_banner_day", "reach_campaign_day"}) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE ctid IN (SELECT ctid FROM " + table
                    + " WHERE day < ? LIMIT 10000)")) {
                ps.setDate(1, before);
                for (int n = ps.executeUpdate(); n > 0; n = ps.executeUpdate()) {
                    deleted += n;
                }
            }
        }
        if (deleted > 0) {
            log.info("rollup: {} reach row(s) of days before {} deleted with their days", deleted, before);
        }
    }

    private static void moveBoundary(Connection c, String boundary, long minute) throws SQLException {
        c.setAutoCommit(false);
        try {
            lockBoundary(c, boundary);
            setBoundary(c, boundary, minute);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    /** Drops the partitions of {@code table} that end at or before {@code before} (epoch minutes). */
    private static int dropPartitions(Connection c, String table, long before) throws SQLException {
        c.setAutoCommit(true);
        List<String> old = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT p.relname, pg_get_expr(p.relpartbound, p.oid) FROM pg_inherits i
                JOIN pg_class p ON p.oid = i.inhrelid JOIN pg_class t ON t.oid = i.inhparent
                WHERE t.relname = ?""")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long end = upperBound(c, rs.getString(2));
                    if (end <= before) {
                        old.add(rs.getString(1));
                    }
                }
            }
        }
        int dropped = 0;
        for (String partition : old) {
            try (Statement s = c.createStatement()) {
                // A drop waits for readers of the parent table; give up after a while and try at the next run.
                s.execute("SET lock_timeout = '5s'");
                s.execute("DROP TABLE IF EXISTS " + quoteIdent(partition));
                dropped++;
            } catch (SQLException e) {
                log.warn("rollup: could not drop {} yet ({}); trying again at the next run", partition, e.getMessage());
            } finally {
                try (Statement s = c.createStatement()) {
                    s.execute("RESET lock_timeout");
                }
            }
        }
        return dropped;
    }

    /** The upper bound of a partition bound expression ({@code FOR VALUES FROM ('…') TO ('…')}), in epoch minutes. */
    private static long upperBound(Connection c, String bound) throws SQLException {
        int to = bound.indexOf("TO ('");
        String value = bound.substring(to + 5, bound.indexOf("')", to));
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::timestamptz")) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return RollupBoundaries.minute(rs.getTimestamp(1));
            }
        }
    }

    /** Makes the partitions of a rollup table holding the given row starts (epoch minutes). */
    public static void ensurePartitions(Connection c, CounterTable table, LongStream rowStarts) throws SQLException {
        ensurePartitions(c, table.table, rowStarts);
    }

    /** Makes the partitions of a rollup table or a {@link Summary} (by its name) holding the given row starts. */
    public static void ensurePartitions(Connection c, String table, LongStream rowStarts) throws SQLException {
        long[] months = rowStarts.map(m -> startOfMonth(Instant.ofEpochSecond(m * 60))).distinct().toArray();
        try (PreparedStatement ps = c.prepareStatement("SELECT ensure_rollup_partition(?, ?)")) {
            for (long m : months) {
                ps.setString(1, table);
                ps.setTimestamp(2, RollupBoundaries.timestamp(m));
                ps.executeQuery().close();
            }
        }
    }

    /** The job's state as PostgreSQL holds it (null before the migration ran). */
    public Status status() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return status(c);
        }
    }

    public static Status status(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT hours_until, days_until, minutes_from, hours_from, days_from, last_run, rows_rolled, partitions_dropped"
                        + " FROM rollup_state WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            return new Status(rs.getTimestamp(1).toInstant(), rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant(),
                    rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant(), rs.getTimestamp(6) == null ? null : rs.getTimestamp(6).toInstant(),
                    rs.getLong(7), rs.getLong(8));
        }
    }

    private static RollupBoundaries current(Connection c) throws SQLException {
        c.setAutoCommit(true);
        return RollupBoundaries.read(c);
    }

    private static long lockBoundary(Connection c, String boundary) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + boundary + " FROM rollup_state WHERE id = 1 FOR UPDATE");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return RollupBoundaries.minute(rs.getTimestamp(1));
        }
    }

    private static void setBoundary(Connection c, String boundary, long minute) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE rollup_state SET " + boundary + " = ? WHERE id = 1")) {
            ps.setTimestamp(1, RollupBoundaries.timestamp(minute));
            ps.executeUpdate();
        }
    }

    private static boolean advisoryLock(Connection c, String function) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + function + "(?)")) {
            ps.setLong(1, LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static long startOfDay(Instant t) {
        return LocalDate.ofInstant(t, ZoneOffset.UTC).toEpochDay() * 24 * 60;
    }

    private static long startOfMonth(Instant t) {
        ZonedDateTime month = t.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
        return month.toEpochSecond() / 60;
    }

    /** The start of the UTC year holding {@code minute} (epoch minutes). */
    private static long startOfYear(long minute) {
        ZonedDateTime year = Instant.ofEpochSecond(minute * 60).atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).withDayOfYear(1);
        return year.toEpochSecond() / 60;
    }

    private static long startOfYear(Instant t) {
        return startOfYear(Math.floorDiv(t.getEpochSecond(), 60));
    }

    private static String quoteIdent(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }
}
