package io.adgrid.persister.rollup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.counters.CounterDeltas;
import io.adgrid.grid.counters.CounterKey;
import io.adgrid.grid.counters.Counts;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rollups and retention against a real PostgreSQL: every total stays exact in every table that claims its time. */
class RollupIT {

    /** Three whole UTC days of traffic, long enough ago that the job rolls all of it. */
    private static final Instant DAY1 = Instant.parse("2026-01-10T00:00:00Z");
    private static final long M1 = DAY1.getEpochSecond() / 60;
    private static final RollupJob.Settings KEEP_ALL = new RollupJob.Settings(Duration.ofDays(3650), Duration.ofDays(3650), Duration.ofMinutes(5));

    private static TestDatabase db;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void fresh() {
        db.truncateCounters();
        // Boundaries as the migration sets them on a database whose first counts are on DAY1.
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?,"
                + " rows_rolled = 0, partitions_dropped = 0", java.sql.Timestamp.from(DAY1), java.sql.Timestamp.from(DAY1));
        db.sql("SELECT ensure_counter_partitions(?::date, 4)", java.sql.Date.valueOf("2026-01-10"));
    }

    @Test
    void closedHoursAndDaysRollUpExactly() throws SQLException {
        Counts sent = addTraffic(3 * 24 * 60, 7);

        RollupJob.Result r = job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(4)));
        assertThat(r.hoursRolled()).isEqualTo(48); // a run rolls at most two days of hours
        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(4)));
        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(4)));

        assertThat(totals("counter_minute")).isEqualTo(sent);
        assertThat(totals("counter_hour")).isEqualTo(sent);
        assertThat(totals("counter_day")).isEqualTo(sent);
        assertThat(db.sqlLong("SELECT count(*) FROM counter_day")).isEqualTo(3 * 3); // 3 days x 3 banner/publisher pairs
        assertSummariesMatchTheirTables();
        assertThat(totals("campaign_hour")).isEqualTo(sent);
        assertThat(totals("campaign_day")).isEqualTo(sent);
        assertThat(totals("banner_day")).isEqualTo(sent);
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_day")).isEqualTo(3 * 2); // 3 days x 2 campaigns
        assertThat(db.sqlString("SELECT hours_until FROM rollup_state")).startsWith("2026-01-13 23:00"); // the hour ending 5 min before now is not due
        assertThat(db.sqlString("SELECT days_until FROM rollup_state")).startsWith("2026-01-13 00:00");
    }

    @Test
    void aLateCountForARolledHourAddsToThatHourAndItsDay() throws SQLException {
        Counts sent = addTraffic(2 * 24 * 60, 11);
        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(3)));

        java.sql.Timestamp secondHour = java.sql.Timestamp.from(DAY1.plusSeconds(3600));
        Counts hourBefore = db.tableTotals("counter_hour", "hour = ? AND banner_id = 1", secondHour);
        CounterDeltas late = new CounterDeltas();
        late.add(new CounterKey(M1 + 90, 1, 1, 1), new Counts(5, 1, 1, 2_500_000, 1));
        write(late);
        sent.add(new Counts(5, 1, 1, 2_500_000, 1));

        assertThat(totals("counter_minute")).isEqualTo(sent);
        assertThat(totals("counter_hour")).isEqualTo(sent);
        assertThat(totals("counter_day")).isEqualTo(sent);
        assertThat(db.tableTotals("counter_hour", "hour = ? AND banner_id = 1", secondHour).impressions)
                .isEqualTo(hourBefore.impressions + 5);
        assertSummariesMatchTheirTables();
        assertThat(totals("campaign_hour")).isEqualTo(sent);
        assertThat(totals("campaign_day")).isEqualTo(sent);
        assertThat(totals("banner_day")).isEqualTo(sent);
    }

    @Test
    void anInterruptedRollupChangesNothingAndIsDoneOnceWhenRunAgain() throws Exception {
        Counts sent = addTraffic(24 * 60 + 120, 5);
        // Hold the hour table so the job waits inside its transaction, after taking the boundary, then kill its backend.
        db.sql("SELECT ensure_rollup_partition('counter_hour', '2026-01-10T00:00:00Z')");
        try (Connection blocker = db.dataSource().getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("LOCK TABLE counter_hour IN ACCESS EXCLUSIVE MODE");
            }
            CompletableFuture<RollupJob.Result> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(2)));
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Wait.until("the rollup waits for the hour table", Duration.ofSeconds(60),
                    () -> db.sqlLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO counter_hour%'") > 0);
            db.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO counter_hour%'");
            assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(SQLException.class);
            blocker.rollback();
        }
        assertThat(totals("counter_hour")).isEqualTo(new Counts());
        assertThat(db.sqlString("SELECT hours_until FROM rollup_state")).startsWith("2026-01-10 00:00");

        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(2)));
        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(2)));
        assertThat(totals("counter_minute")).isEqualTo(sent);
        assertThat(totals("counter_hour")).isEqualTo(sent);
        assertThat(totals("counter_day")).isEqualTo(db.tableTotals("counter_minute", "minute < ?", java.sql.Timestamp.from(DAY1.plus(Duration.ofDays(1)))));
        assertSummariesMatchTheirTables();
    }

    @Test
    void aRollupInterruptedWhileWritingASummaryChangesNothingAndIsDoneOnceWhenRunAgain() throws Exception {
        Counts sent = addTraffic(24 * 60 + 120, 5);
        // The job writes counter_day, then waits for the campaign_day table inside the same transaction; its backend is killed there.
        db.sql("SELECT ensure_rollup_partition('campaign_day', '2026-01-10T00:00:00Z')");
        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(1))); // 23 hours: no whole day yet
        try (Connection blocker = db.dataSource().getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("LOCK TABLE campaign_day IN ACCESS EXCLUSIVE MODE");
            }
            CompletableFuture<RollupJob.Result> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(2)));
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Wait.until("the rollup waits for the campaign_day table", Duration.ofSeconds(60),
                    () -> db.sqlLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO campaign_day%'") > 0);
            db.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO campaign_day%'");
            assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(SQLException.class);
            blocker.rollback();
        }
        assertThat(totals("counter_day")).isEqualTo(new Counts());
        assertThat(totals("campaign_day")).isEqualTo(new Counts());
        assertThat(db.sqlString("SELECT days_until FROM rollup_state")).startsWith("2026-01-10 00:00");

        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(2)));
        job(KEEP_ALL).run(DAY1.plus(Duration.ofDays(2)));
        assertThat(totals("counter_hour")).isEqualTo(sent);
        assertThat(totals("campaign_hour")).isEqualTo(sent);
        Counts firstDay = db.tableTotals("counter_minute", "minute < ?", java.sql.Timestamp.from(DAY1.plus(Duration.ofDays(1))));
        assertThat(totals("counter_day")).isEqualTo(firstDay);
        assertThat(totals("campaign_day")).isEqualTo(firstDay);
        assertThat(totals("banner_day")).isEqualTo(firstDay);
        assertSummariesMatchTheirTables();
    }

    @Test
    void aDroppedDayOfMinutesLivesOnInItsHoursAndDay() throws SQLException {
        Counts sent = addTraffic(3 * 24 * 60, 13);
        RollupJob keepSevenDays = job(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(3650), Duration.ofMinutes(5)));
        Instant tenDaysLater = DAY1.plus(Duration.ofDays(10));
        while (keepSevenDays.run(tenDaysLater).hoursRolled() > 0) {
            // catch up, two days of hours a run
        }
        assertThat(db.sqlString("SELECT to_regclass('counter_minute_20260110')::text")).isNull();
        assertThat(db.sqlString("SELECT to_regclass('counter_minute_20260111')::text")).isNull();
        assertThat(db.sqlLong("SELECT partitions_dropped FROM rollup_state")).isGreaterThanOrEqualTo(2);
        assertThat(db.sqlString("SELECT minutes_from FROM rollup_state")).startsWith("2026-01-13 00:00");
        assertThat(totals("counter_hour")).isEqualTo(sent);
        assertThat(totals("counter_day")).isEqualTo(sent);

        // A count that comes back now for a dropped minute (a journal replayed late) goes to its hour and day only.
        CounterDeltas late = new CounterDeltas();
        late.add(new CounterKey(M1 + 30, 1, 1, 1), new Counts(2, 0, 0, 0, 0));
        write(late);
        sent.add(new Counts(2, 0, 0, 0, 0));
        assertThat(totals("counter_hour")).isEqualTo(sent);
        assertThat(totals("counter_day")).isEqualTo(sent);
        assertThat(db.sqlString("SELECT to_regclass('counter_minute_20260110')::text")).isNull();
        assertThat(totals("campaign_hour")).isEqualTo(sent);
        assertThat(totals("campaign_day")).isEqualTo(sent);
        assertThat(totals("banner_day")).isEqualTo(sent);
        assertSummariesMatchTheirTables();
    }

    @Test
    void droppedHourMonthsTakeTheirCampaignHoursAlongAndTheirDaysLiveOn() throws SQLException {
        Counts sent = addTraffic(3 * 24 * 60, 13);
        RollupJob keepAMonthOfHours = job(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(31), Duration.ofMinutes(5)));
        Instant threeMonthsLater = DAY1.plus(Duration.ofDays(90));
        while (keepAMonthOfHours.run(threeMonthsLater).hoursRolled() > 0) {
            // catch up, two days of hours a run
        }
        assertThat(db.sqlString("SELECT to_regclass('counter_hour_202601')::text")).isNull();
        assertThat(db.sqlString("SELECT to_regclass('campaign_hour_202601')::text")).isNull();
        assertThat(totals("counter_day")).isEqualTo(sent);
        assertThat(totals("campaign_day")).isEqualTo(sent);
        assertThat(totals("banner_day")).isEqualTo(sent);
        assertSummariesMatchTheirTables();
    }

    /**
     * Each summary (V14) row for row equal to its rollup table summed: the same keys with the same
     * counts, none more, none less.
     */
    private static void assertSummariesMatchTheirTables() {
        String counts = "impressions, clicks, conversions, revenue_micros, suspect_clicks";
        String sums = "sum(impressions)::bigint, sum(clicks)::bigint, sum(conversions)::bigint, sum(revenue_micros)::bigint, sum(suspect_clicks)::bigint";
        for (Summary s : Summary.values()) {
            String keys = s.source.column + ", " + String.join(", ", s.ids);
            String summed = "SELECT " + keys + ", " + sums + " FROM " + s.source.table + " GROUP BY " + keys;
            String stored = "SELECT " + keys + ", " + counts + " FROM " + s.table;
            assertThat(db.sqlLong("SELECT count(*) FROM ((" + summed + ") EXCEPT ALL (" + stored + ")) d")).as(s.table + " misses").isZero();
            assertThat(db.sqlLong("SELECT count(*) FROM ((" + stored + ") EXCEPT ALL (" + summed + ")) d")).as(s.table + " has more").isZero();
        }
    }

    /** Counts in every {@code every}-th minute of [DAY1, DAY1 + minutes) on three banner/publisher pairs, written by the write-behind's path. */
    private Counts addTraffic(int minutes, int every) throws SQLException {
        CounterDeltas deltas = new CounterDeltas();
        Counts total = new Counts();
        for (int m = 0; m < minutes; m += every) {
            for (int pair = 1; pair <= 3; pair++) {
                Counts c = new Counts(pair, m % 2, m % 3 == 0 ? 1 : 0, m % 3 == 0 ? 1_250_000L * pair : 0, m % 5 == 0 ? 1 : 0);
                // campaign 1 has banners 1 and 2, campaign 2 banner 3: a summary sums several rows
                deltas.add(new CounterKey(M1 + m, pair == 3 ? 2 : 1, pair, pair), c);
                total.add(c);
            }
        }
        write(deltas);
        return total;
    }

    private static void write(CounterDeltas deltas) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            CounterWriter.addCounts(c, deltas);
            c.commit();
        }
    }

    private static RollupJob job(RollupJob.Settings settings) {
        return new RollupJob(db.dataSource(), settings);
    }

    private static Counts totals(String table) {
        return db.tableTotals(table, "true");
    }
}
