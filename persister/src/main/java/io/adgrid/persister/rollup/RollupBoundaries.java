package io.adgrid.persister.rollup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * Where each counter table is complete (the {@code rollup_state} row), in epoch minutes:
 * {@code counter_day} in [{@link #daysFrom}, {@link #daysUntil}), {@code counter_hour} in
 * [{@link #hoursFrom}, {@link #hoursUntil}), {@code counter_minute} from {@link #minutesFrom} on.
 * Before {@link #daysFrom} (the day retention, V15) no table holds anything: those counts were dropped.
 */
public record RollupBoundaries(long minutesFrom, long hoursFrom, long hoursUntil, long daysUntil, long daysFrom) {

    /** No rollup yet: everything is in minutes. */
    public static final RollupBoundaries NONE = new RollupBoundaries(Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE,
            Long.MIN_VALUE);

    private static final String READ = "SELECT minutes_from, hours_from, hours_until, days_until, days_from FROM rollup_state WHERE id = 1";

    /**
     * Reads the boundaries and holds them for the caller's transaction: the rollup job cannot move
     * them until it commits, so the counts it adds go to every table that holds their time.
     */
    public static RollupBoundaries readForShare(Connection c) throws SQLException {
        return read(c, READ + " FOR SHARE");
    }

    /** Reads them in the caller's snapshot (reports, in a repeatable-read transaction). */
    public static RollupBoundaries read(Connection c) throws SQLException {
        return read(c, READ);
    }

    private static RollupBoundaries read(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return NONE;
            }
            return new RollupBoundaries(minute(rs.getTimestamp(1)), minute(rs.getTimestamp(2)),
                    minute(rs.getTimestamp(3)), minute(rs.getTimestamp(4)), minute(rs.getTimestamp(5)));
        }
    }

    public boolean inMinutes(long minute) {
        return minute >= minutesFrom;
    }

    public boolean inHours(long minute) {
        return minute >= hoursFrom && minute < hoursUntil;
    }

    public boolean inDays(long minute) {
        return minute >= daysFrom && minute < daysUntil;
    }

    /** Whether a count of {@code minute} was dropped with its day (older than the day retention): no table holds that time. */
    public boolean dropped(long minute) {
        return minute < daysFrom;
    }

    static long minute(Timestamp t) {
        return Math.floorDiv(t.toInstant().getEpochSecond(), 60);
    }

    static Timestamp timestamp(long minute) {
        return Timestamp.from(Instant.ofEpochSecond(minute * 60));
    }
}
