package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.pricing.PricingModel;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Spend (issue 21) exact to the micro, against a real member and a real PostgreSQL: each pricing model
 * live before any flush, from PostgreSQL after it, and in every slice of a report (buckets, campaigns,
 * publishers, top lists, CSV); suspect clicks and known robots' beacons never billed; a price change
 * applied from its UTC day, also once the minutes are rolled up into hours and days.
 */
class SpendIT {

    private static final int WINDOW_MINUTES = 10 * 366 * 24 * 60;
    private static final Instant DAY1 = Instant.parse("2026-03-10T00:00:00Z");
    private static final Instant T = DAY1.plus(Duration.ofHours(12)).plusSeconds(30);

    private static TestDatabase db;
    private static List<HazelcastInstance> members;
    private static HazelcastInstance member;

    private IMap<Long, RouteState> map;
    private GridEventFeeder feeder;
    private WriteBehind writeBehind;
    private StatsController controller;
    private CampaignPrices prices;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(SpendIT.class), TestGrid.freePortBase()), 1);
        member = members.get(0);
        DemoCatalog.seedIfEmpty(db.dataSource()); // campaigns 1..10 exist (prices refer to them)
    }

    @AfterAll
    static void stop() {
        if (members != null) {
            TestGrid.terminate(members);
        }
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void freshState() {
        map = member.getMap(GridMember.COUNTERS_MAP);
        map.clear();
        db.truncateCounters();
        db.sql("DELETE FROM campaign_price");
        // nothing rolled up from the test days on: the write-behind writes minutes only, and the rollup below rolls them
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?",
                Timestamp.from(DAY1), Timestamp.from(DAY1));
        feeder = new GridEventFeeder(member);
        writeBehind = new WriteBehind(member, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW_MINUTES);
        controller = new StatsController(new StatsService(new StatsRepository(db.dataSource()), new GridCounters(member)), Clock.systemUTC());
        prices = new CampaignPrices(db.dataSource());
    }

    @Test
    void eachModelIsBilledToTheMicroLiveBeforeTheFlushAndFromPostgreSQLAfterIt() {
        prices.set(1, PricingModel.CPM, 1_234_000, null);  // 1,234 micros an impression
        prices.set(2, PricingModel.CPC, 333_333, null);
        prices.set(3, PricingModel.CPA, 7_000_001, null);
        // campaign 4 has no price: counted, never billed
        List<GridEvent> events = new ArrayList<>();
        List<GridEvent> shown = new ArrayList<>();
        for (int i = 0; i < 7; i++) { // campaign 1: 7 impressions over two minutes, and a clean click and a sale (not billed under CPM)
            shown.add(feeder.impression(1, 11, 1 + i % 2, T.plusSeconds(20L * i)));
        }
        events.addAll(shown);
        events.add(feeder.clickOf(shown.get(0)));
        events.add(feeder.sale(1, 11, 1, T, 9_000_000));
        List<GridEvent> shown2 = new ArrayList<>();
        for (int i = 0; i < 5; i++) { // campaign 2: 5 impressions, 3 clean clicks, 2 suspect clicks, a sale
            shown2.add(feeder.impression(2, 12, 1 + i % 2, T.plusSeconds(i)));
        }
        events.addAll(shown2);
        events.addAll(List.of(feeder.clickOf(shown2.get(0)), feeder.clickOf(shown2.get(1)), feeder.clickOf(shown2.get(2)),
                feeder.click(2, 12, 1, T), feeder.click(2, 12, 2, T), feeder.sale(2, 12, 1, T, 1_000_000)));
        // campaign 3: 3 impressions, a clean click, 2 sales; campaign 4: the same, unpriced
        for (long campaign : new long[] {3, 4}) {
            GridEvent i3 = feeder.impression(campaign, 10 + campaign, 2, T);
            events.addAll(List.of(i3, feeder.impression(campaign, 10 + campaign, 2, T), feeder.impression(campaign, 10 + campaign, 1, T),
                    feeder.clickOf(i3), feeder.sale(campaign, 10 + campaign, 2, T, 50_000_000), feeder.sale(campaign, 10 + campaign, 1, T, 1)));
        }
        feeder.apply(events);

        String c1 = "0.008638";   // 7 * 1,234
        String c2 = "0.999999";   // 3 clean clicks * 333,333; the 2 suspect ones are not billed
        String c3 = "14.000002";  // 2 * 7,000,001
        String all = "15.008639"; // 8,638 + 999,999 + 14,000,002
        assertSpends("live", c1, c2, c3, "0.00", all);
        assertSpends("db", "0.00", "0.00", "0.00", "0.00", "0.00");
        assertThat(row("2", null, "total", "live").suspectClicks()).isEqualTo(2);

        writeBehind.flushAll();
        assertSpends("db", c1, c2, c3, "0.00", all);
        assertSpends("live", c1, c2, c3, "0.00", all);

        // every slicing adds up to the same micros: minutes, hours, publishers (across campaigns and prices), top lists, CSV
        for (String granularity : List.of("minute", "hour", "day")) {
            assertThat(rows(null, null, granularity, "live").stream().map(r -> new java.math.BigDecimal(r.spend()))
                    .reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add)).as(granularity).isEqualByComparingTo(all);
        }
        assertThat(top("publisher", "spend")).extracting(StatsRow::id, StatsRow::spend)
                // publisher 1: 4 impressions of campaign 1, 2 clean clicks of campaign 2, a sale of campaign 3; publisher 2: 3, 1, 1
                .containsExactly(tuple(1L, "7.671603"), tuple(2L, "7.337036"));
        assertThat(top("campaign", "spend")).extracting(StatsRow::id, StatsRow::spend)
                .containsExactly(tuple(3L, c3), tuple(2L, c2), tuple(1L, c1));
        assertThat((String) controller.stats("2", null, null, "2026-03-10", "2026-03-11", "total", "UTC", "db", "csv", null).getBody())
                .isEqualTo("bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend\n"
                        + "2026-03-10T00:00:00Z,5,3,1,1.00,0.6,0.333333,2,0,0.999999\n");
    }

    @Test
    void aPriceChangeBillsFromItsUtcDayLiveAfterTheFlushAndAfterTheRollup() throws SQLException {
        prices.set(2, PricingModel.CPC, 400_000, null);                            // from the beginning
        prices.set(2, PricingModel.CPC, 1_000_000, LocalDate.parse("2026-03-11")); // from the next UTC day
        prices.set(2, PricingModel.CPA, 3_000_000, LocalDate.parse("2026-03-12")); // then per sale
        Instant day2 = DAY1.plus(Duration.ofDays(1));
        Instant day3 = DAY1.plus(Duration.ofDays(2));
        List<GridEvent> events = new ArrayList<>();
        for (Instant t : List.of(DAY1.plusSeconds(10), day2.minusSeconds(1), day2, day2.plusSeconds(3600), day3.plusSeconds(5))) {
            GridEvent shown = feeder.impression(2, 12, 1, t);
            events.addAll(List.of(shown, feeder.clickOf(shown), feeder.sale(2, 12, 1, t, 1_000_000)));
        }
        feeder.apply(events);
        // day 1: 2 clicks * 0.40; day 2: 2 clicks * 1.00; day 3: 1 sale * 3.00
        List<String> byDay = List.of("2026-03-10T00:00:00Z 0.80", "2026-03-11T00:00:00Z 2.00", "2026-03-12T00:00:00Z 3.00");
        assertThat(spendByBucket("day", "live")).isEqualTo(byDay);
        assertThat(row("2", null, "total", "live").spend()).isEqualTo("5.80");

        writeBehind.flushAll();
        assertThat(spendByBucket("day", "db")).isEqualTo(byDay);
        // Paris days straddle UTC days: each counter is still priced at its own minute's price
        assertThat(spendByBucketIn("day", "db", "Europe/Paris"))
                .containsExactly("2026-03-10T00:00:00+01:00 0.40", "2026-03-11T00:00:00+01:00 2.40", "2026-03-12T00:00:00+01:00 3.00");

        // roll the minutes up into hours and UTC days: reports read counter_day and bill the same
        assertThat(db.tableTotals("counter_day", "true").clicks).isZero();
        RollupJob job = new RollupJob(db.dataSource(), new RollupJob.Settings(Duration.ofDays(3650), Duration.ofDays(3650), Duration.ZERO));
        while (job.run(DAY1.plus(Duration.ofDays(4))).hoursRolled() > 0) {
            // two days of hours a run
        }
        assertThat(db.tableTotals("counter_day", "true").clicks).isEqualTo(5);
        assertThat(spendByBucket("day", "db")).isEqualTo(byDay);
        assertThat(row("2", null, "total", "live").spend()).isEqualTo("5.80");
        assertThat(top("banner", "spend")).extracting(StatsRow::id, StatsRow::spend).containsExactly(tuple(12L, "5.80"));
        // campaign_hour (V14) bills the same as the hours it sums
        assertThat(spendByBucket("hour", "db").stream().map(r -> new java.math.BigDecimal(r.split(" ")[1]))
                .reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add)).isEqualByComparingTo("5.80");
        assertThat(spendByBucket("hour", "db")).contains("2026-03-11T00:00:00Z 1.00", "2026-03-12T00:00:00Z 3.00");
    }

    @Test
    void knownRobotsBeaconsAreCountedAsInvalidLiveInPostgresqlAndRolledUpAndNeverBilled() throws SQLException {
        prices.set(1, PricingModel.CPM, 1_000_000, null);  // 1,000 micros an impression
        prices.set(2, PricingModel.CPC, 250_000, null);
        List<GridEvent> events = new ArrayList<>();
        GridEvent human = feeder.impression(1, 11, 1, T);
        GridEvent crawled = feeder.impression(1, 11, 1, T.plusSeconds(1)).asInvalid();
        events.addAll(List.of(human, crawled, feeder.impression(1, 11, 2, T.plusSeconds(2)).asInvalid()));
        GridEvent shown = feeder.impression(2, 12, 1, T);
        GridEvent botShown = feeder.impression(2, 12, 1, T.plusSeconds(3)).asInvalid();
        // campaign 2: a clean click, and a robot's impression and click
        events.addAll(List.of(shown, feeder.clickOf(shown), botShown, feeder.clickOf(botShown).asInvalid()));
        feeder.apply(events);

        for (String source : List.of("live", "flushed", "rolled up")) {
            if (source.equals("flushed")) {
                writeBehind.flushAll();
            } else if (source.equals("rolled up")) {
                RollupJob job = new RollupJob(db.dataSource(), new RollupJob.Settings(Duration.ofDays(3650), Duration.ofDays(3650), Duration.ZERO));
                while (job.run(DAY1.plus(Duration.ofDays(4))).hoursRolled() > 0) {
                    // two days of hours a run
                }
                assertThat(db.tableTotals("counter_day", "true").invalid).isEqualTo(4);
            }
            String from = source.equals("live") ? "live" : "db";
            StatsRow c1 = row("1", null, "total", from);
            StatsRow c2 = row("2", null, "total", from);
            assertThat(List.of(c1.impressions(), c1.invalid(), c2.impressions(), c2.clicks(), c2.invalid()))
                    .as(source).containsExactly(1L, 2L, 1L, 1L, 2L);
            assertThat(List.of(c1.spend(), c2.spend(), row(null, null, "total", from).spend())).as(source)
                    .containsExactly("0.001", "0.25", "0.251");
            assertThat(top("campaign", "invalid")).extracting(StatsRow::id, StatsRow::invalid).containsExactly(tuple(1L, 2L), tuple(2L, 2L));
        }
        assertThat((String) controller.stats("2", null, null, "2026-03-10", "2026-03-11", "total", "UTC", "db", "csv", null).getBody())
                .isEqualTo("bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend\n"
                        + "2026-03-10T00:00:00Z,1,1,0,0.00,1,0,0,2,0.25\n");
    }

    private void assertSpends(String source, String c1, String c2, String c3, String c4, String all) {
        assertThat(row("1", null, "total", source).spend()).as(source + " campaign 1 (CPM)").isEqualTo(c1);
        assertThat(row("2", null, "total", source).spend()).as(source + " campaign 2 (CPC)").isEqualTo(c2);
        assertThat(row("3", null, "total", source).spend()).as(source + " campaign 3 (CPA)").isEqualTo(c3);
        assertThat(row("4", null, "total", source).spend()).as(source + " campaign 4 (no price)").isEqualTo(c4);
        assertThat(row(null, null, "total", source).spend()).as(source + " all traffic").isEqualTo(all);
    }

    private StatsRow row(String campaign, String banner, String granularity, String source) {
        List<StatsRow> rows = rows(campaign, banner, granularity, source);
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private List<StatsRow> rows(String campaign, String banner, String granularity, String source) {
        return ((StatsController.StatsAnswer) controller.stats(campaign, banner, null,
                "2026-03-10", "2026-03-14", granularity, "UTC", source, null, null).getBody()).rows();
    }

    private List<StatsRow> top(String dimension, String metric) {
        return ((StatsController.StatsAnswer) controller.top(dimension, metric, "2026-03-10", "2026-03-14", "10", "UTC", "live", null, null)
                .getBody()).rows();
    }

    private List<String> spendByBucket(String granularity, String source) {
        return spendByBucketIn(granularity, source, "UTC");
    }

    private List<String> spendByBucketIn(String granularity, String source, String tz) {
        return ((StatsController.StatsAnswer) controller.stats("2", null, null, "2026-03-10", "2026-03-14", granularity, tz, source, null, null)
                .getBody()).rows().stream().map(r -> r.bucket() + " " + r.spend()).toList();
    }
}
