package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.member.GridMember;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;

/** Live and PostgreSQL-only totals, against a real member and a real PostgreSQL. */
class StatsServiceIT {

    private static final int PORT_BASE = TestPorts.of(5750);
    /**
     * Event identities are kept for ten years: the test days lie in the past, and a click is clean only
     * while its impression's identity is still remembered (as it is on a live system within the window).
     */
    private static final int WINDOW_MINUTES = 10 * 366 * 24 * 60;
    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");
    /** A day long past: its counts would have been written long ago, but reports must not care. */
    private static final Instant FROM = Instant.parse("2026-03-09T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-03-12T00:00:00Z");

    private static TestDatabase db;
    private static List<HazelcastInstance> members;
    private static HazelcastInstance member;

    private IMap<Long, RouteState> map;
    private GridEventFeeder feeder;
    private CounterWriter writer;
    private WriteBehind writeBehind;
    private StatsService stats;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(StatsServiceIT.class), PORT_BASE), 1);
        member = members.get(0);
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
        feeder = new GridEventFeeder(member);
        writer = new CounterWriter(db.dataSource());
        writeBehind = new WriteBehind(member, writer, Clock.systemUTC(), WINDOW_MINUTES);
        stats = new StatsService(new StatsRepository(db.dataSource()), new GridCounters(member));
    }

    @Test
    void countsOnlyInMemoryAreInLiveTotalsAndNotInDatabaseTotals() {
        Counts campaign3 = applyTrafficOfCampaigns(3, 4);

        assertThat(total(campaign(3), true)).isEqualTo(campaign3);
        assertThat(total(campaign(3), false)).isEqualTo(new Counts());
    }

    @Test
    void afterAWriteBehindCycleLiveAndDatabaseTotalsAreBothExact() {
        Counts campaign3 = applyTrafficOfCampaigns(3, 4);

        writeBehind.cycle(map.keySet());

        assertThat(total(campaign(3), false)).isEqualTo(campaign3);
        assertThat(total(campaign(3), true)).isEqualTo(campaign3);
        assertThat(total(all(), true)).isEqualTo(feeder.expectedTotal());
    }

    @Test
    void batchWrittenButNotYetAcknowledgedIsNotCountedTwice() throws Exception {
        Counts first = applyTrafficOfCampaigns(3);
        Map<Long, SealedBatch> sealed = sealAll();
        writer.write(sealed.values());
        // not acknowledged: the sealed batch is still in the grid, and its counts are in PostgreSQL
        assertThat(map.values()).anySatisfy(s -> assertThat(s.pendingKeys()).isPositive());

        assertThat(total(campaign(3), true)).isEqualTo(first);
        assertThat(total(campaign(3), false)).isEqualTo(first);

        // new counts pending behind the unacknowledged batch are counted once too
        Counts second = applyTrafficOfCampaigns(3);
        Counts both = first.copy().add(second);
        assertThat(total(campaign(3), true)).isEqualTo(both);
        assertThat(total(campaign(3), false)).isEqualTo(first);

        writeBehind.flushAll();
        assertThat(total(campaign(3), true)).isEqualTo(both);
        assertThat(total(campaign(3), false)).isEqualTo(both);
    }

    @Test
    void batchSealedButNotYetWrittenIsCountedFromMemory() throws Exception {
        applyTrafficOfCampaigns(1, 2, 3, 4, 5);
        Counts everything = feeder.expectedTotal();
        Map<Long, SealedBatch> sealed = sealAll();
        assertThat(sealed.size()).isGreaterThan(1);
        // a write-behind that wrote only some of its batches so far
        List<SealedBatch> half = new ArrayList<>(sealed.values()).subList(0, sealed.size() / 2);
        writer.write(half);

        assertThat(total(all(), true)).isEqualTo(everything);
        assertThat(total(all(), false)).isEqualTo(sumOf(half));
    }

    @Test
    void timeBucketsGroupTheSameInMemoryAndInPostgresql() {
        applyBucketTraffic();

        assertThat(totals(all(), new Grouping.ByTime(Granularity.MINUTE, UTC), true)).isEqualTo(buckets(UTC, 
                "2026-03-10T09:15", 2, "2026-03-10T09:59", 1, "2026-03-10T10:00", 1,
                "2026-03-10T18:29", 1, "2026-03-10T18:30", 1, "2026-03-11T00:00", 1));
        assertThat(totals(all(), new Grouping.ByTime(Granularity.HOUR, UTC), true)).isEqualTo(buckets(UTC, 
                "2026-03-10T09:00", 3, "2026-03-10T10:00", 1, "2026-03-10T18:00", 2, "2026-03-11T00:00", 1));
        assertThat(totals(all(), new Grouping.ByTime(Granularity.DAY, UTC), true)).isEqualTo(buckets(UTC, 
                "2026-03-10T00:00", 6, "2026-03-11T00:00", 1));
        assertThat(totals(all(), new Grouping.ByTime(Granularity.TOTAL, UTC), true)).isEqualTo(Map.of(0, both(7)));
    }

    @Test
    void daysInANonUtcZoneStartAtLocalMidnight() {
        applyBucketTraffic();

        // 18:29:59Z is 23:59:59 in Kolkata (+05:30), 18:30Z already the next local day
        assertThat(totals(all(), new Grouping.ByTime(Granularity.DAY, KOLKATA), true)).isEqualTo(buckets(KOLKATA, 
                "2026-03-10T00:00", 5, "2026-03-11T00:00", 2));
        assertThat(totals(all(), new Grouping.ByTime(Granularity.HOUR, KOLKATA), true)).isEqualTo(buckets(KOLKATA, 
                "2026-03-10T14:00", 2, "2026-03-10T15:00", 2, "2026-03-10T23:00", 1,
                "2026-03-11T00:00", 1, "2026-03-11T05:00", 1));
    }

    @Test
    void fixedOffsetZonesBucketLikeTheZoneOfTheSameOffset() {
        applyBucketTraffic();
        Map<Object, Counts> kolkata = totals(all(), new Grouping.ByTime(Granularity.HOUR, KOLKATA), true);

        for (String offset : List.of("+05:30", "UTC+05:30", "GMT+05:30")) {
            assertThat(totals(all(), new Grouping.ByTime(Granularity.HOUR, ZoneId.of(offset)), true)).as(offset).isEqualTo(kolkata);
        }
        Map<Object, Counts> bogota = totals(all(), new Grouping.ByTime(Granularity.HOUR, ZoneId.of("America/Bogota")), true);
        for (String offset : List.of("-05:00", "UTC-05:00", "Etc/GMT+5")) {
            assertThat(totals(all(), new Grouping.ByTime(Granularity.HOUR, ZoneId.of(offset)), true)).as(offset).isEqualTo(bogota);
        }
        assertThat(totals(all(), new Grouping.ByTime(Granularity.HOUR, ZoneId.of("+05:45")), true)).as("+05:45")
                .isEqualTo(totals(all(), new Grouping.ByTime(Granularity.HOUR, ZoneId.of("Asia/Kathmandu")), true));
        for (String utc : List.of("Z", "UTC", "Etc/UTC", "GMT", "+00:00")) {
            assertThat(totals(all(), new Grouping.ByTime(Granularity.DAY, ZoneId.of(utc)), true)).as(utc)
                    .isEqualTo(buckets(UTC, "2026-03-10T00:00", 6, "2026-03-11T00:00", 1));
        }
    }

    @Test
    void databaseBucketsDoNotDependOnTheJvmDefaultTimeZone() {
        TimeZone jvmZone = TimeZone.getDefault();
        // Paris skips 02:00-03:00 local on 2026-03-29; the UTC bucket 02:00 must stay 02:00.
        Instant inTheGap = Instant.parse("2026-03-29T02:30:00Z");
        GridEvent shown = feeder.impression(1, 1, 1, inTheGap);
        feeder.apply(List.of(shown));
        writeBehind.cycle(map.keySet());
        feeder.apply(List.of(feeder.clickOf(shown)));
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Europe/Paris"));

            Map<Object, Counts> hours = stats.totals(new Selection(null, 0, Instant.parse("2026-03-29T00:00:00Z"),
                    Instant.parse("2026-03-30T00:00:00Z")), new Grouping.ByTime(Granularity.HOUR, UTC), true);

            assertThat(hours).isEqualTo(Map.of(OffsetDateTime.parse("2026-03-29T02:00Z"), new Counts(1, 1, 0, 0)));
        } finally {
            TimeZone.setDefault(jvmZone);
        }
    }

    @Test
    void fromIsInclusiveAndToExclusiveOnBothSides() {
        applyBucketTraffic();

        assertThat(total(new Selection(null, 0, Instant.parse("2026-03-10T10:00:00Z"), Instant.parse("2026-03-10T18:30:00Z")), true))
                .as("10:00 and 18:29, not 18:30").isEqualTo(both(2));
        assertThat(total(new Selection(null, 0, Instant.parse("2026-03-10T09:15:30Z"), Instant.parse("2026-03-10T10:00:30Z")), true))
                .as("a minute counts when it starts inside the range: 09:59 and 10:00, not 09:15").isEqualTo(both(2));
    }

    @Test
    void groupingByIdSumsPerCampaignBannerAndPublisher() {
        Instant t = Instant.parse("2026-03-10T12:00:00Z");
        List<GridEvent> persisted = new ArrayList<>();
        List<GridEvent> inMemory = new ArrayList<>();
        Map<Long, Counts> byBanner = new HashMap<>();
        Map<Long, Counts> byPublisher = new HashMap<>();
        Map<Long, Counts> byCampaign = new HashMap<>();
        for (long banner = 1; banner <= 12; banner++) {
            long campaign = (banner - 1) % 3 + 1;
            for (long publisher = 1; publisher <= 4; publisher++) {
                for (int i = 0; i < banner; i++) {
                    GridEvent e = i % 2 == 0
                            ? feeder.impression(campaign, banner, publisher, t.plusSeconds(60L * i))
                            : feeder.sale(campaign, banner, publisher, t.plusSeconds(60L * i), 1_250_000 * publisher);
                    (i % 3 == 0 ? inMemory : persisted).add(e);
                    Counts c = GridEventFeeder.countsOf(e);
                    byBanner.computeIfAbsent(banner, k -> new Counts()).add(c);
                    byPublisher.computeIfAbsent(publisher, k -> new Counts()).add(c);
                    byCampaign.computeIfAbsent(campaign, k -> new Counts()).add(c);
                }
            }
        }
        feeder.apply(persisted);
        writeBehind.cycle(map.keySet());
        feeder.apply(inMemory);

        assertThat(totals(all(), new Grouping.ById(Dimension.BANNER), true)).isEqualTo(byBanner);
        assertThat(totals(all(), new Grouping.ById(Dimension.PUBLISHER), true)).isEqualTo(byPublisher);
        assertThat(totals(all(), new Grouping.ById(Dimension.CAMPAIGN), true)).isEqualTo(byCampaign);
        assertThat(totals(new Selection(Dimension.PUBLISHER, 2, FROM, TO), new Grouping.ById(Dimension.PUBLISHER), true))
                .isEqualTo(Map.of(2L, byPublisher.get(2L)));
    }

    @Test
    void controllerLabelsBucketsWithTheirLocalStartAndOffset() {
        applyBucketTraffic();
        StatsController controller = new StatsController(stats, Clock.systemUTC());

        ResponseEntity<?> json = controller.stats(null, null, null, "2026-03-10", "2026-03-12", "day", "Asia/Kolkata", "live", null, null);
        ResponseEntity<?> dbOnly = controller.stats("1", null, null, "2026-03-10", "2026-03-12", "day", "Asia/Kolkata", "db", null, null);
        ResponseEntity<?> csv = controller.stats(null, "7", null, "2026-03-10", "2026-03-12", "day", "Asia/Kolkata", "live", "csv", null);

        assertThat(((StatsController.StatsAnswer) json.getBody()).rows()).containsExactly(
                new StatsRow("2026-03-10T00:00:00+05:30", null, 5, 5, 0, "0.00", BigDecimal.ONE, BigDecimal.ZERO, 0, 0, "0.00"),
                new StatsRow("2026-03-11T00:00:00+05:30", null, 2, 2, 0, "0.00", BigDecimal.ONE, BigDecimal.ZERO, 0, 0, "0.00"));
        assertThat(((StatsController.StatsAnswer) dbOnly.getBody()).rows()).containsExactly(
                new StatsRow("2026-03-10T00:00:00+05:30", null, 5, 0, 0, "0.00", BigDecimal.ZERO, BigDecimal.ZERO, 0, 0, "0.00"),
                new StatsRow("2026-03-11T00:00:00+05:30", null, 2, 0, 0, "0.00", BigDecimal.ZERO, BigDecimal.ZERO, 0, 0, "0.00"));
        assertThat(csv.getHeaders().getContentType().toString()).startsWith("text/csv");
        assertThat((String) csv.getBody()).isEqualTo("""
                bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend
                2026-03-10T00:00:00+05:30,5,5,0,0.00,1,0,0,0,0.00
                2026-03-11T00:00:00+05:30,2,2,0,0.00,1,0,0,0,0.00
                """);
    }

    @Test
    void theHourParisLivesTwiceInAutumnIsTwoBucketsEachLabelledWithItsOffset() {
        // 2026-10-25 in Paris: 03:00+02:00 becomes 02:00+01:00, so local 02:00-03:00 happens twice.
        List<GridEvent> shown = List.of("2026-10-24T23:59:00Z", "2026-10-25T00:10:00Z", "2026-10-25T00:20:00Z",
                "2026-10-25T01:20:00Z", "2026-10-25T02:00:00Z").stream()
                .map(t -> feeder.impression(1, 7, 2, Instant.parse(t))).toList();
        feeder.apply(shown);
        writeBehind.cycle(map.keySet());
        feeder.apply(shown.stream().map(feeder::clickOf).toList());
        StatsController controller = new StatsController(stats, Clock.systemUTC());

        for (String source : List.of("live", "db")) {
            long clicks = source.equals("live") ? 1 : 0;
            assertThat(bucketsOf(controller, "hour", source)).as(source + " hours").containsExactly(
                    "2026-10-25T01:00:00+02:00 1/" + clicks, "2026-10-25T02:00:00+02:00 2/" + 2 * clicks,
                    "2026-10-25T02:00:00+01:00 1/" + clicks, "2026-10-25T03:00:00+01:00 1/" + clicks);
            assertThat(bucketsOf(controller, "minute", source)).as(source + " minutes").containsExactly(
                    "2026-10-25T01:59:00+02:00 1/" + clicks, "2026-10-25T02:10:00+02:00 1/" + clicks,
                    "2026-10-25T02:20:00+02:00 1/" + clicks, "2026-10-25T02:20:00+01:00 1/" + clicks,
                    "2026-10-25T03:00:00+01:00 1/" + clicks);
            assertThat(bucketsOf(controller, "day", source)).as(source + " day").containsExactly(
                    "2026-10-25T00:00:00+02:00 5/" + 5 * clicks);
        }
    }

    /** "bucket impressions/clicks" of each row of a Paris report on 2026-10-25. */
    private static List<String> bucketsOf(StatsController controller, String granularity, String source) {
        StatsController.StatsAnswer answer = (StatsController.StatsAnswer) controller.stats(
                null, null, null, "2026-10-25", "2026-10-26", granularity, "Europe/Paris", source, null, null).getBody();
        return answer.rows().stream().map(r -> r.bucket() + " " + r.impressions() + "/" + r.clicks()).toList();
    }

    @Test
    void topListsOrderByTheMetricThenById() {
        Instant t = Instant.parse("2026-03-10T12:00:00Z");
        List<GridEvent> events = new ArrayList<>();
        long[] impressionsOfBanner = {0, 3, 5, 3, 1}; // banners 1..4
        for (int banner = 1; banner <= 4; banner++) {
            for (int i = 0; i < impressionsOfBanner[banner]; i++) {
                events.add(feeder.impression(1, banner, 1, t.plusSeconds(i)));
            }
        }
        events.add(feeder.sale(1, 4, 1, t, 12_500_000));
        feeder.apply(events.subList(0, 6));
        writeBehind.cycle(map.keySet());
        feeder.apply(events.subList(6, events.size()));
        StatsController controller = new StatsController(stats, Clock.systemUTC());

        StatsController.StatsAnswer byImpressions = (StatsController.StatsAnswer) controller.top(
                "banner", "impressions", "2026-03-10", "2026-03-11", "3", "UTC", "live", null, null).getBody();
        StatsController.StatsAnswer byRevenue = (StatsController.StatsAnswer) controller.top(
                "banner", "revenue", "2026-03-10", "2026-03-11", "10", "UTC", "live", null, null).getBody();

        assertThat(byImpressions.rows()).extracting(StatsRow::id).containsExactly(2L, 1L, 3L);
        assertThat(byImpressions.rows()).extracting(StatsRow::impressions).containsExactly(5L, 3L, 3L);
        assertThat(byRevenue.rows()).extracting(StatsRow::id, StatsRow::revenue).containsExactly(tuple(4L, "12.50"));
    }

    @Test
    void aBannerTheGridLiftsPastPostgresqlsFirstEntersTheTopList() {
        Instant t = Instant.parse("2026-03-10T12:00:00Z");
        long[] written = {0, 5, 4, 3}; // banners 1..3 in PostgreSQL
        List<GridEvent> events = new ArrayList<>();
        for (int banner = 1; banner <= 3; banner++) {
            for (int i = 0; i < written[banner]; i++) {
                events.add(feeder.impression(1, banner, 1, t.plusSeconds(i)));
            }
        }
        feeder.apply(events);
        writeBehind.cycle(map.keySet());
        // only in the grid: banner 3 goes from third to first, banner 4 is new
        feeder.apply(List.of(feeder.impression(1, 3, 2, t), feeder.impression(1, 3, 2, t.plusSeconds(1)),
                feeder.impression(1, 3, 2, t.plusSeconds(2)), feeder.impression(1, 4, 2, t)));
        StatsController controller = new StatsController(stats, Clock.systemUTC());

        StatsController.StatsAnswer live = (StatsController.StatsAnswer) controller.top(
                "banner", "impressions", "2026-03-10", "2026-03-11", "2", "UTC", "live", null, null).getBody();
        StatsController.StatsAnswer db = (StatsController.StatsAnswer) controller.top(
                "banner", "impressions", "2026-03-10", "2026-03-11", "2", "UTC", "db", null, null).getBody();

        assertThat(live.rows()).extracting(StatsRow::id, StatsRow::impressions).containsExactly(tuple(3L, 6L), tuple(1L, 5L));
        assertThat(db.rows()).extracting(StatsRow::id, StatsRow::impressions).containsExactly(tuple(1L, 5L), tuple(2L, 4L));
    }

    @Test
    void suspectClicksAreReportedApartFromCleanClicksLiveAndFromTheDatabase() {
        Instant t = Instant.parse("2026-03-10T12:00:30Z");
        List<GridEvent> shown = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            shown.add(feeder.impression(1, 7, 2, t.plusMillis(i)));
        }
        List<GridEvent> persisted = new ArrayList<>(shown);
        persisted.add(feeder.clickOf(shown.get(0)));
        persisted.add(feeder.click(1, 7, 2, t)); // no impression
        feeder.apply(persisted);
        writeBehind.cycle(map.keySet());
        feeder.apply(List.of(feeder.clickOf(shown.get(1)), feeder.clickOf(shown.get(2)),
                feeder.click(1, 7, 2, t), feeder.click(1, 8, 3, t), feeder.clickOf(shown.get(3)).asSuspect()));
        StatsController controller = new StatsController(stats, Clock.systemUTC());

        assertThat(total(all(), false)).isEqualTo(new Counts(6, 1, 0, 0, 1));
        assertThat(total(all(), true)).isEqualTo(new Counts(6, 3, 0, 0, 4)).isEqualTo(feeder.expectedTotal());
        StatsController.StatsAnswer json = (StatsController.StatsAnswer) controller.stats(
                null, "7", null, "2026-03-10", "2026-03-11", "total", "UTC", "live", null, null).getBody();
        assertThat(json.rows()).containsExactly(new StatsRow("2026-03-10T00:00:00Z", null, 6, 3, 0, "0.00", new BigDecimal("0.5"), BigDecimal.ZERO, 3, 0, "0.00"));
        assertThat((String) controller.stats(null, "7", null, "2026-03-10", "2026-03-11", "total", "UTC", "db", "csv", null).getBody())
                .isEqualTo("bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend\n"
                        + "2026-03-10T00:00:00Z,6,1,0,0.00,0.166667,0,1,0,0.00\n");
        StatsController.StatsAnswer top = (StatsController.StatsAnswer) controller.top(
                "banner", "suspect_clicks", "2026-03-10", "2026-03-11", "10", "UTC", "live", null, null).getBody();
        assertThat(top.rows()).extracting(StatsRow::id, StatsRow::suspectClicks).containsExactly(tuple(7L, 3L), tuple(8L, 1L));
    }

    /** One impression (written to PostgreSQL) and one click (left in the grid) at each instant. */
    private void applyBucketTraffic() {
        List<Instant> instants = List.of("2026-03-10T09:15:20Z", "2026-03-10T09:15:50Z", "2026-03-10T09:59:00Z",
                "2026-03-10T10:00:00Z", "2026-03-10T18:29:59Z", "2026-03-10T18:30:00Z", "2026-03-11T00:00:00Z")
                .stream().map(Instant::parse).toList();
        List<GridEvent> shown = instants.stream().map(t -> feeder.impression(1, 7, 2, t)).toList();
        feeder.apply(shown);
        writeBehind.cycle(map.keySet());
        feeder.apply(shown.stream().map(feeder::clickOf).toList());
        assertThat(db.counterTotals()).isEqualTo(new Counts(7, 0, 0, 0));
    }

    /** Impressions, clicks and sales of each campaign (3 banners, 2 publishers, a few minutes); returns the first one's sum. */
    private Counts applyTrafficOfCampaigns(long... campaigns) {
        List<GridEvent> events = new ArrayList<>();
        Counts first = new Counts();
        Instant t = Instant.parse("2026-03-10T12:00:00Z");
        for (long campaign : campaigns) {
            for (long banner = campaign * 10; banner < campaign * 10 + 3; banner++) {
                for (long publisher = 1; publisher <= 2; publisher++) {
                    for (int m = 0; m < 3; m++) {
                        Instant ts = t.plusSeconds(60L * m + banner);
                        GridEvent shown = feeder.impression(campaign, banner, publisher, ts);
                        List<GridEvent> some = List.of(
                                feeder.impression(campaign, banner, publisher, ts),
                                shown,
                                feeder.clickOf(shown),
                                feeder.sale(campaign, banner, publisher, ts, 100_000));
                        events.addAll(some);
                        if (campaign == campaigns[0]) {
                            some.forEach(e -> first.add(GridEventFeeder.countsOf(e)));
                        }
                    }
                }
            }
        }
        feeder.apply(events);
        return first;
    }

    private Map<Long, SealedBatch> sealAll() {
        long nowMinute = Math.floorDiv(System.currentTimeMillis(), 60_000L);
        Map<Long, SealedBatch> sealed = new HashMap<>(map.executeOnKeys(map.keySet(), new SealPending(nowMinute, WINDOW_MINUTES)));
        sealed.values().removeIf(b -> b == null);
        return sealed;
    }

    private static Counts sumOf(List<SealedBatch> batches) {
        Counts sum = new Counts();
        batches.forEach(b -> b.deltas().asMap().values().forEach(sum::add));
        return sum;
    }

    private Counts total(Selection selection, boolean live) {
        return totals(selection, new Grouping.ByTime(Granularity.TOTAL, UTC), live).getOrDefault(0, new Counts());
    }

    private Map<Object, Counts> totals(Selection selection, Grouping grouping, boolean live) {
        return stats.totals(selection, grouping, live);
    }

    private static Selection campaign(long id) {
        return new Selection(Dimension.CAMPAIGN, id, FROM, TO);
    }

    private static Selection all() {
        return new Selection(null, 0, FROM, TO);
    }

    private static Counts both(long n) {
        return new Counts(n, n, 0, 0);
    }

    /** Local bucket starts (none of them ambiguous in the zone) and how many impressions (and as many clicks) each holds. */
    private static Map<Object, Counts> buckets(ZoneId zone, Object... startsAndCounts) {
        Map<Object, Counts> out = new LinkedHashMap<>();
        for (int i = 0; i < startsAndCounts.length; i += 2) {
            out.put(LocalDateTime.parse((String) startsAndCounts[i]).atZone(zone).toOffsetDateTime(),
                    both(((Number) startsAndCounts[i + 1]).longValue()));
        }
        return out;
    }
}
