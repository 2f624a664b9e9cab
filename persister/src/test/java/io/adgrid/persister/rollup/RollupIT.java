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
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.reach.ReachSketch;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rollups and retention against a real PostgreSQL: every total stays exact in every table that claims its time. */
class RollupIT {

    /** Three whole UTC days of traffic, long enough ago that the job rolls all of it. */
    private static final Instant DAY1 = Instant.parse("2026-01-10T00:00:00Z");
    private static final long M1 = DAY1.getEpochSecond() / 60;
    private static final Instant NEW_YEAR = Instant.parse("2026-01-01T00:00:00Z");
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
                + " days_from = 'epoch', rows_rolled = 0, partitions_dropped = 0", java.sql.Timestamp.from(DAY1), java.sql.Timestamp.from(DAY1));
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
     * "A year of data": with a day retention, whole UTC years of counter_day and its summaries go once
     * they end before it (after the hours and minutes of that time went), days_from says so, and a late
     * count for a dropped time is written nowhere rather than bring back part of a dropped year.
     */
    @Test
    void daysPastTheDayRetentionAreDroppedByTheYearWithTheirSummariesAndALateCountThereIsWrittenNowhere() throws SQLException {
        Counts sent = yearEndTraffic();
        Counts of2026 = db.tableTotals("counter_minute", "minute >= ?", java.sql.Timestamp.from(NEW_YEAR));
        assertThat(of2026.impressions).isPositive().isLessThan(sent.impressions);
        long dec31 = NEW_YEAR.getEpochSecond() / 86_400 - 1;
        writeReach(reach(1, dec31, "a", "b"), reach(1, dec31 + 2, "c"));
        Instant fiveWeeksLater = NEW_YEAR.plus(Duration.ofDays(35));
        RollupJob keep31Days = job(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(31), Duration.ofMinutes(5), Duration.ofDays(31)));
        while (keep31Days.run(fiveWeeksLater).hoursRolled() > 0) {
            // catch up, two days of hours a run; 2025 goes as soon as its hours and minutes went
        }
        for (String table : new String[] {"counter_day", "campaign_day", "banner_day"}) {
            assertThat(db.sqlString("SELECT to_regclass('" + table + "_2025')::text")).as(table + " 2025").isNull();
            assertThat(db.sqlString("SELECT to_regclass('" + table + "_2026')::text")).as(table + " 2026").isNotNull();
        }
        assertThat(db.sqlString("SELECT days_from FROM rollup_state")).startsWith("2026-01-01 00:00");
        assertThat(db.sqlString("SELECT hours_from FROM rollup_state")).startsWith("2026-01-01 00:00");
        assertThat(keep31Days.status().daysFrom()).isEqualTo(NEW_YEAR);
        assertThat(totals("counter_day")).as("2025 gone, 2026 whole").isEqualTo(of2026);
        assertThat(totals("counter_hour")).isEqualTo(of2026);
        assertThat(totals("campaign_day")).isEqualTo(of2026);
        assertThat(totals("banner_day")).isEqualTo(of2026);
        assertSummariesMatchTheirTables();
        for (String table : new String[] {"reach_banner_day", "reach_campaign_day"}) {
            assertThat(db.sqlString("SELECT string_agg(day::text, ',') FROM " + table)).as("the reach of 2025 goes with its days")
                    .isEqualTo("2026-01-02");
        }
        // Run again: nothing more to drop.
        assertThat(keep31Days.run(fiveWeeksLater).partitionsDropped()).isZero();

        // A count that comes back now (a journal replayed late) for the dropped year is added nowhere and
        // brings no 2025 partition back; one for a kept day goes to its hour and day as before.
        CounterDeltas late = new CounterDeltas();
        late.add(new CounterKey(NEW_YEAR.getEpochSecond() / 60 - 30, 1, 1, 1), new Counts(3, 1, 0, 0, 0));
        late.add(new CounterKey(NEW_YEAR.getEpochSecond() / 60 + 30, 1, 1, 1), new Counts(2, 0, 0, 0, 0));
        write(late);
        writeReach(reach(1, dec31, "d"), reach(1, dec31 + 2, "e"));
        of2026.add(new Counts(2, 0, 0, 0, 0));
        assertThat(db.sqlLong("SELECT count(*) FROM reach_campaign_day WHERE day < '2026-01-01'")).as("late users of a dropped day").isZero();
        assertThat(db.sqlLong("SELECT count(*) FROM reach_campaign_day")).isEqualTo(1);
        for (String table : new String[] {"counter_day", "campaign_day", "banner_day", "counter_hour", "campaign_hour"}) {
            assertThat(db.sqlString("SELECT to_regclass('" + table + "_2025')::text")).as(table).isNull();
            assertThat(db.sqlString("SELECT to_regclass('" + table + "_202512')::text")).as(table).isNull();
        }
        assertThat(totals("counter_day")).isEqualTo(of2026);
        assertThat(totals("counter_hour")).isEqualTo(of2026);
        assertThat(totals("counter_minute")).isEqualTo(new Counts());
        assertSummariesMatchTheirTables();
        assertThat(keep31Days.run(fiveWeeksLater).partitionsDropped()).isZero();
    }

    @Test
    void withoutADayRetentionNoDayIsEverDropped() throws SQLException {
        Counts sent = yearEndTraffic();
        // Hours of December dropped (31 days), days kept: the default of ADGRID_ROLLUP_DAYRETENTION.
        RollupJob keepDaysForever = job(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(31), Duration.ofMinutes(5)));
        while (keepDaysForever.run(NEW_YEAR.plus(Duration.ofDays(35))).hoursRolled() > 0) {
            // catch up, two days of hours a run
        }
        assertThat(db.sqlString("SELECT to_regclass('counter_hour_202512')::text")).isNull();
        for (String table : new String[] {"counter_day", "campaign_day", "banner_day"}) {
            assertThat(db.sqlString("SELECT to_regclass('" + table + "_2025')::text")).as(table).isNotNull();
        }
        assertThat(db.sqlString("SELECT days_from FROM rollup_state")).startsWith("1970-01-01 00:00");
        assertThat(totals("counter_day")).isEqualTo(sent);
        assertThat(totals("banner_day")).isEqualTo(sent);
        assertSummariesMatchTheirTables();
        assertThat(RollupJob.Settings.DEFAULT.dayRetention()).isNull();

        // A day retention set later: the next run drops the year, and counts its three partitions where the others are.
        long droppedBefore = db.sqlLong("SELECT partitions_dropped FROM rollup_state");
        RollupJob.Result r = job(new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(31), Duration.ofMinutes(5), Duration.ofDays(31)))
                .run(NEW_YEAR.plus(Duration.ofDays(35)));
        assertThat(r.partitionsDropped()).as("counter_day, campaign_day, banner_day of 2025").isEqualTo(3);
        assertThat(db.sqlLong("SELECT partitions_dropped FROM rollup_state")).isEqualTo(droppedBefore + 3);
        assertThat(db.sqlString("SELECT to_regclass('counter_day_2025')::text")).isNull();
        assertThat(totals("counter_day")).isEqualTo(db.tableTotals("counter_hour", "true"));
    }

    /** Traffic over the new year 2026 (two days each side), rollup boundaries at its start as the migration sets them. */
    private Counts yearEndTraffic() throws SQLException {
        Instant start = NEW_YEAR.minus(Duration.ofDays(2));
        db.sql("UPDATE rollup_state SET hours_until = ?, days_until = ?", java.sql.Timestamp.from(start), java.sql.Timestamp.from(start));
        db.sql("SELECT ensure_counter_partitions(?::date, 4)", java.sql.Date.valueOf("2025-12-30"));
        return addTraffic(start.getEpochSecond() / 60, 4 * 24 * 60, 17);
    }

    /**
     * Each summary (V14) row for row equal to its rollup table summed: the same keys with the same
     * counts, none more, none less.
     */
    private static void assertSummariesMatchTheirTables() {
        String counts = "impressions, clicks, conversions, revenue_micros, suspect_clicks, invalid";
        String sums = "sum(impressions)::bigint, sum(clicks)::bigint, sum(conversions)::bigint, sum(revenue_micros)::bigint,"
                + " sum(suspect_clicks)::bigint, sum(invalid)::bigint";
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
        return addTraffic(M1, minutes, every);
    }

    private Counts addTraffic(long firstMinute, int minutes, int every) throws SQLException {
        CounterDeltas deltas = new CounterDeltas();
        Counts total = new Counts();
        for (int m = 0; m < minutes; m += every) {
            for (int pair = 1; pair <= 3; pair++) {
                Counts c = new Counts(pair, m % 2, m % 3 == 0 ? 1 : 0, m % 3 == 0 ? 1_250_000L * pair : 0, m % 5 == 0 ? 1 : 0,
                        m % 7 == 0 ? 2 : 0);
                // campaign 1 has banners 1 and 2, campaign 2 banner 3: a summary sums several rows
                deltas.add(new CounterKey(firstMinute + m, pair == 3 ? 2 : 1, pair, pair), c);
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

    /** Users reached on {@code day} (UTC epoch day) by banner 1 of {@code campaign}. */
    private static ReachSketch reach(long campaign, long day, String... users) {
        HllSketch sketch = Reach.newSketch();
        for (String u : users) {
            sketch.update(Reach.userHash(u));
        }
        return new ReachSketch(1, campaign, day, sketch.toCompactByteArray());
    }

    private static void writeReach(ReachSketch... sketches) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            CounterWriter.addReach(c, java.util.List.of(sketches));
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
