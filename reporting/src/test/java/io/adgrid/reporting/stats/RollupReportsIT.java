package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.pricing.BudgetLedger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reports read the coarsest table that answers them (issue 22) and give the same answers as from
 * minutes: across rollup boundaries, after a late count into a rolled hour, and after minute
 * partitions were dropped; a range reaching before the days a day retention dropped is refused.
 */
class RollupReportsIT {

    private static final Instant DAY1 = Instant.parse("2026-01-10T00:00:00Z");
    private static final long M1 = DAY1.getEpochSecond() / 60;
    /** Not whole hours or days: every query below spans minute, hour and day pieces once rolled. */
    private static final Instant FROM = DAY1.plusSeconds(37 * 60);
    private static final Instant TO = DAY1.plus(Duration.ofDays(3)).minusSeconds(23 * 60);

    private static TestDatabase db;
    private static StatsRepository reports;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        reports = new StatsRepository(db.dataSource());
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void rolledUpReportsAnswerAsMinutesDidThroughLateCountsAndDroppedPartitions() throws SQLException {
        nothingRolledFromDay1();
        addTraffic();
        Map<String, Map<Object, Counts>> fromMinutes = answers(FROM);

        // Hours rolled up to the middle of the third day, days up to its start: minute, hour and day pieces.
        rollUntil(DAY1.plus(Duration.ofDays(2)).plus(Duration.ofHours(13)));
        assertThat(db.tableTotals("counter_day", "true").impressions).isPositive();
        assertThat(answers(FROM)).isEqualTo(fromMinutes);

        // A late count for a rolled hour is in every answer at once.
        CounterDeltas late = new CounterDeltas();
        late.add(new CounterKey(M1 + 24 * 60 + 75, 1, 2, 2), new Counts(4, 1, 1, 3_000_000, 0));
        write(late);
        Map<String, Map<Object, Counts>> withLate = answers(FROM);
        assertThat(total(withLate, "total UTC")).isEqualTo(total(fromMinutes, "total UTC").copy().add(new Counts(4, 1, 1, 3_000_000, 0)));
        withLate.keySet().stream().filter(q -> !q.contains(" 1 ") && !q.contains(" 2 "))
                .forEach(query -> assertThat(total(withLate, query)).as(query).isEqualTo(total(withLate, "total UTC")));
        assertThat(total(withLate, "campaign 1 hour UTC")).isEqualTo(total(fromMinutes, "campaign 1 hour UTC").copy().add(new Counts(4, 1, 1, 3_000_000, 0)));
        assertThat(total(withLate, "banner 2 day UTC")).isEqualTo(total(fromMinutes, "banner 2 day UTC").copy().add(new Counts(4, 1, 1, 3_000_000, 0)));
        assertThat(total(withLate, "publisher 1 day UTC")).isEqualTo(total(fromMinutes, "publisher 1 day UTC"));

        // Minutes of the first day dropped: whole hours still answer exactly, minutes there are refused.
        Map<String, Map<Object, Counts>> beforeDrop = answers(DAY1.plusSeconds(3600));
        RollupJob keepTwoDays = new RollupJob(db.dataSource(), new RollupJob.Settings(Duration.ofDays(1), Duration.ofDays(3650), Duration.ZERO));
        keepTwoDays.run(DAY1.plus(Duration.ofDays(2)).plus(Duration.ofHours(13)));
        assertThat(db.sqlString("SELECT to_regclass('counter_minute_20260110')::text")).isNull();
        Map<String, Map<Object, Counts>> afterDrop = new LinkedHashMap<>(answers(DAY1.plusSeconds(3600), "hour Kolkata"));
        assertThat(afterDrop).isEqualTo(without(beforeDrop, "hour Kolkata"));
        assertThatThrownBy(() -> read(DAY1.plusSeconds(3600), new Grouping.ByTime(Granularity.HOUR, ZoneId.of("Asia/Kolkata"))))
                .isInstanceOf(BadQueryException.class).hasMessageContaining("minute detail before");
    }

    @Test
    void aTopListRanksTheSumOverEveryPieceNotEachPieceAlone() throws SQLException {
        nothingRolledFromDay1();
        // Banner 13 leads no piece (minutes, days, hours, minutes) but leads their sum: 18, then 14 (12), 11 and 12 (10 each).
        long minutesFirst = M1 + 40;
        long dayPiece = M1 + 24 * 60 + 600;
        long hourPiece = M1 + 2 * 24 * 60 + 300;
        long minutesLast = M1 + 2 * 24 * 60 + 1200;
        CounterDeltas deltas = new CounterDeltas();
        deltas.add(new CounterKey(minutesFirst, 1, 14, 1), new Counts(6, 0, 0, 0, 0));
        deltas.add(new CounterKey(minutesFirst, 1, 13, 1), new Counts(5, 0, 0, 0, 0));
        deltas.add(new CounterKey(dayPiece, 1, 11, 1), new Counts(10, 0, 0, 0, 0));
        deltas.add(new CounterKey(dayPiece, 1, 13, 2), new Counts(4, 0, 0, 0, 0));
        deltas.add(new CounterKey(hourPiece, 1, 14, 1), new Counts(6, 0, 0, 0, 0));
        deltas.add(new CounterKey(hourPiece, 1, 13, 1), new Counts(5, 0, 0, 0, 0));
        deltas.add(new CounterKey(minutesLast, 1, 12, 1), new Counts(10, 0, 0, 0, 0));
        deltas.add(new CounterKey(minutesLast, 1, 13, 1), new Counts(4, 0, 0, 0, 0));
        write(deltas);
        rollUntil(DAY1.plus(Duration.ofDays(2)).plus(Duration.ofHours(13)));
        assertThat(db.tableTotals("banner_day", "true").impressions).as("days 1 and 2 rolled").isEqualTo(6 + 5 + 10 + 4);

        assertThat(ranked(2, Set.of())).containsOnlyKeys(13L, 14L).containsEntry(13L, 18L).containsEntry(14L, 12L);
        assertThat(ranked(3, Set.of())).as("ties by id").containsOnlyKeys(13L, 14L, 11L);
        assertThat(ranked(1, Set.of(12L, 99L))).as("and the ids asked for").containsOnlyKeys(13L, 12L).containsEntry(12L, 10L);
    }

    /**
     * "A year of data": once a day retention dropped 2025, a report reaching into it is a 400 naming
     * where counts start, whatever table would have answered it; one from 2026 on answers as before,
     * and a campaign's billing (total budgets count from the start) sums what is kept instead of failing.
     */
    @Test
    void aReportReachingIntoDroppedDaysIsRefusedAndOnesAfterThemAnswerAsBefore() throws SQLException {
        Instant newYear = Instant.parse("2026-01-01T00:00:00Z");
        Instant start = newYear.minus(Duration.ofDays(2));
        Instant end = newYear.plus(Duration.ofDays(2));
        nothingRolledFrom(start);
        addTraffic(start.getEpochSecond() / 60, 4 * 24 * 60);
        rollUntil(end);
        Map<String, Map<Object, Counts>> of2026 = answers(newYear, end);
        Instant lastDayOf2025 = newYear.minus(Duration.ofDays(1));
        assertThat(total(answers(lastDayOf2025, end), "total UTC").impressions).isGreaterThan(total(of2026, "total UTC").impressions);
        Counts campaign1 = total(of2026, "campaign 1 day UTC");

        // Days kept 31 days (hours too), five weeks later: 2025 is gone from every table.
        RollupJob keep31Days = new RollupJob(db.dataSource(),
                new RollupJob.Settings(Duration.ofDays(7), Duration.ofDays(31), Duration.ZERO, Duration.ofDays(31)));
        while (keep31Days.run(newYear.plus(Duration.ofDays(35))).hoursRolled() > 0) {
            // two days of hours a run
        }
        assertThat(db.sqlString("SELECT to_regclass('counter_day_2025')::text")).isNull();
        assertThat(db.sqlString("SELECT days_from FROM rollup_state")).startsWith("2026-01-01 00:00");

        // Minutes were dropped too (7 days): Kolkata's hours cannot be answered any more, as before this change.
        assertThat(answers(newYear, end, "hour Kolkata")).isEqualTo(without(of2026, "hour Kolkata"));
        for (Grouping g : List.of(new Grouping.ByTime(Granularity.TOTAL, ZoneOffset.UTC), new Grouping.ByTime(Granularity.HOUR, ZoneOffset.UTC),
                new Grouping.ByTime(Granularity.DAY, ZoneId.of("Europe/Paris")), new Grouping.ById(Dimension.BANNER))) {
            assertThatThrownBy(() -> read(lastDayOf2025, end, new Query(g))).as(g.toString())
                    .isInstanceOf(BadQueryException.class)
                    .hasMessage("counts before 2026-01-01T00:00:00Z were dropped (day retention): nothing is kept before then;"
                            + " ask for a range from 2026-01-01T00:00:00Z on");
        }
        assertThatThrownBy(() -> read(newYear.minusSeconds(60), newYear.plusSeconds(60), new Query(new Grouping.ByTime(Granularity.MINUTE, ZoneOffset.UTC))))
                .isInstanceOf(BadQueryException.class).hasMessageContaining("counts before 2026-01-01T00:00:00Z were dropped");

        CampaignDays.Read billing = new CampaignDays(db.dataSource(), null).read(1L, b -> Instant.EPOCH, end, false);
        assertThat(billing.parts().get(1L)).extracting(BudgetLedger.Part::day)
                .containsExactlyInAnyOrder(LocalDate.parse("2026-01-01"), LocalDate.parse("2026-01-02"));
        assertThat(billing.parts().get(1L).stream().mapToLong(BudgetLedger.Part::impressions).sum()).isEqualTo(campaign1.impressions);
    }

    /** No counts, minute partitions for the four days from DAY1 on, and nothing rolled up. */
    private static void nothingRolledFromDay1() {
        nothingRolledFrom(DAY1);
    }

    /** No counts, minute partitions for the four days from {@code day} on, and nothing rolled up or dropped. */
    private static void nothingRolledFrom(Instant day) {
        db.truncateCounters();
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?, days_from = 'epoch'",
                Timestamp.from(day), Timestamp.from(day));
        db.sql("SELECT ensure_counter_partitions(?::date, 4)", java.sql.Date.valueOf(LocalDate.ofInstant(day, ZoneOffset.UTC)));
    }

    /** Adds counts as the write-behind does. */
    private static void write(CounterDeltas deltas) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            CounterWriter.addCounts(c, deltas);
            c.commit();
        }
    }

    /** Runs the rollup job (retention ten years) until it has rolled every hour ended by {@code now}. */
    private static void rollUntil(Instant now) throws SQLException {
        RollupJob job = new RollupJob(db.dataSource(), new RollupJob.Settings(Duration.ofDays(3650), Duration.ofDays(3650), Duration.ZERO));
        while (job.run(now).hoursRolled() > 0) {
            // two days of hours a run
        }
    }

    /** Impressions per banner of the ids a top-n list by impressions over [FROM, TO) reads. */
    private static Map<Object, Long> ranked(int n, Set<Long> alsoIds) throws SQLException {
        Map<Object, Long> out = new java.util.HashMap<>();
        reports.read(new Selection(null, 0, FROM, TO), new Grouping.ById(Dimension.BANNER), List.of(),
                new StatsRepository.Ranking(Metric.IMPRESSIONS.column, n, alsoIds)).groups()
                .forEach((k, v) -> out.put(k, v.counts().impressions));
        return out;
    }

    @Test
    void rolledHoursOfTheAutumnChangeInParisStayTwoBuckets() throws SQLException {
        db.truncateCounters();
        Instant day = Instant.parse("2026-10-24T00:00:00Z");
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?",
                Timestamp.from(day), Timestamp.from(day));
        db.sql("SELECT ensure_counter_partitions(?::date, 3)", java.sql.Date.valueOf("2026-10-24"));
        // 01:59+02:00, 02:10+02:00 and 02:20+02:00, 02:20+01:00, 03:00+01:00 in Paris
        CounterDeltas deltas = new CounterDeltas();
        for (String t : List.of("2026-10-24T23:59:00Z", "2026-10-25T00:10:00Z", "2026-10-25T00:20:00Z",
                "2026-10-25T01:20:00Z", "2026-10-25T02:00:00Z")) {
            deltas.add(new CounterKey(Instant.parse(t).getEpochSecond() / 60, 1, 7, 2), new Counts(1, 0, 0, 0, 0));
        }
        write(deltas);
        rollUntil(Instant.parse("2026-10-27T00:00:00Z"));
        assertThat(db.sqlString("SELECT count(*)::text FROM counter_hour WHERE hour >= '2026-10-24T23:00Z' AND hour < '2026-10-25T03:00Z'"))
                .isEqualTo("4");
        StatsController controller = new StatsController(new StatsService(reports, null), java.time.Clock.systemUTC());

        StatsController.StatsAnswer hours = (StatsController.StatsAnswer) controller.stats(
                null, null, null, "2026-10-25", "2026-10-26", "hour", "Europe/Paris", "db", null, null).getBody();

        assertThat(hours.rows()).extracting(r -> r.bucket() + " " + r.impressions()).containsExactly(
                "2026-10-25T01:00:00+02:00 1", "2026-10-25T02:00:00+02:00 2", "2026-10-25T02:00:00+01:00 1", "2026-10-25T03:00:00+01:00 1");
    }

    /** A report: of all traffic (dimension null) or of one campaign, banner or publisher, grouped one way. */
    private record Query(Dimension dimension, long id, Grouping grouping) {
        Query(Grouping grouping) {
            this(null, 0, grouping);
        }
    }

    /**
     * The same reports read from whatever tables the plan picks: all traffic, one campaign, banner or
     * publisher, by time or by id, so that every summary (V14) and every rollup table is read.
     */
    private static Map<String, Map<Object, Counts>> answers(Instant from, String... leaveOut) {
        return answers(from, TO, leaveOut);
    }

    private static Map<String, Map<Object, Counts>> answers(Instant from, Instant to, String... leaveOut) {
        Map<String, Map<Object, Counts>> out = new LinkedHashMap<>();
        Map<String, Query> queries = new LinkedHashMap<>();
        Grouping hourUtc = new Grouping.ByTime(Granularity.HOUR, ZoneOffset.UTC);
        Grouping dayUtc = new Grouping.ByTime(Granularity.DAY, ZoneOffset.UTC);
        queries.put("total UTC", new Query(new Grouping.ByTime(Granularity.TOTAL, ZoneOffset.UTC)));
        queries.put("hour UTC", new Query(hourUtc));
        queries.put("day UTC", new Query(dayUtc));
        queries.put("day Paris", new Query(new Grouping.ByTime(Granularity.DAY, ZoneId.of("Europe/Paris"))));
        queries.put("hour Kolkata", new Query(new Grouping.ByTime(Granularity.HOUR, ZoneId.of("Asia/Kolkata"))));
        queries.put("by banner", new Query(new Grouping.ById(Dimension.BANNER)));
        queries.put("by campaign", new Query(new Grouping.ById(Dimension.CAMPAIGN)));
        queries.put("by publisher", new Query(new Grouping.ById(Dimension.PUBLISHER)));
        queries.put("campaign 1 hour UTC", new Query(Dimension.CAMPAIGN, 1, hourUtc));
        queries.put("campaign 1 day UTC", new Query(Dimension.CAMPAIGN, 1, dayUtc));
        queries.put("campaign 1 by banner", new Query(Dimension.CAMPAIGN, 1, new Grouping.ById(Dimension.BANNER)));
        queries.put("banner 2 day UTC", new Query(Dimension.BANNER, 2, dayUtc));
        queries.put("banner 2 hour UTC", new Query(Dimension.BANNER, 2, hourUtc));
        queries.put("publisher 1 day UTC", new Query(Dimension.PUBLISHER, 1, dayUtc));
        queries.put("publisher 1 by campaign", new Query(Dimension.PUBLISHER, 1, new Grouping.ById(Dimension.CAMPAIGN)));
        queries.forEach((name, query) -> {
            if (!List.of(leaveOut).contains(name)) {
                out.put(name, read(from, to, query));
            }
        });
        return out;
    }

    private static Map<Object, Counts> read(Instant from, Grouping grouping) {
        return read(from, TO, new Query(grouping));
    }

    private static Map<Object, Counts> read(Instant from, Instant to, Query query) {
        try {
            Map<Object, Counts> counts = new java.util.HashMap<>();
            reports.read(new Selection(query.dimension(), query.id(), from, to), query.grouping(), List.of()).groups()
                    .forEach((k, v) -> counts.put(k, v.counts()));
            return counts;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Counts total(Map<String, Map<Object, Counts>> answers, String query) {
        Counts sum = new Counts();
        answers.get(query).values().forEach(sum::add);
        return sum;
    }

    private static Map<String, Map<Object, Counts>> without(Map<String, Map<Object, Counts>> answers, String query) {
        Map<String, Map<Object, Counts>> out = new LinkedHashMap<>(answers);
        out.remove(query);
        return out;
    }

    /**
     * Counts in every 7th minute of three days from DAY1: campaign 1 with banners 1 and 2, campaign 2 with
     * banner 3, on publishers 1, 2 and 1; so summaries sum several rows and publisher 1 spans campaigns.
     */
    private static void addTraffic() throws SQLException {
        addTraffic(M1, 3 * 24 * 60);
    }

    /** The same traffic over {@code minutes} from {@code firstMinute}. */
    private static void addTraffic(long firstMinute, int minutes) throws SQLException {
        CounterDeltas deltas = new CounterDeltas();
        for (int m = 0; m < minutes; m += 7) {
            for (int pair = 1; pair <= 3; pair++) {
                deltas.add(new CounterKey(firstMinute + m, pair == 3 ? 2 : 1, pair, pair == 3 ? 1 : pair),
                        new Counts(pair, m % 2, m % 3 == 0 ? 1 : 0, m % 3 == 0 ? 1_250_000L * pair : 0, m % 5 == 0 ? 1 : 0));
            }
        }
        write(deltas);
    }
}
