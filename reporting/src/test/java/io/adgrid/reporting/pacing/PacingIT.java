package io.adgrid.reporting.pacing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.testing.MovableClock;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.CampaignBudgets;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.pricing.PricingModel;
import io.adgrid.reporting.stats.CampaignDays;
import io.adgrid.reporting.stats.GridCounters;
import io.adgrid.reporting.stats.StatsController;
import io.adgrid.reporting.stats.StatsRepository;
import io.adgrid.reporting.stats.StatsRow;
import io.adgrid.reporting.stats.StatsService;
import io.adgrid.reporting.web.ApiErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Budgets that stop (issue 21) against a real member, a real PostgreSQL and real HTTP: a crossing
 * billed exactly live and after the flush, the stream saying exhausted and resuming with
 * Last-Event-ID, and a daily budget starting again at a non-UTC midnight.
 */
class PacingIT {

    private static final int WINDOW_MINUTES = 10 * 366 * 24 * 60;
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    /** 11:00 in New York on 2026-03-10 (EDT from 2026-03-08: UTC-4). */
    private static final Instant T = Instant.parse("2026-03-10T15:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static TestDatabase db;
    private static List<HazelcastInstance> members;
    private static HazelcastInstance member;
    private static final MovableClock clock = new MovableClock(T);
    private static ConfigurableApplicationContext app;
    private static String base;

    private GridEventFeeder feeder;
    private WriteBehind writeBehind;
    private StatsController stats;
    private CampaignPrices prices;
    private CampaignBudgets budgets;
    private PacingMonitor monitor;

    @SpringBootConfiguration
    @EnableAutoConfiguration(exclude = {HazelcastAutoConfiguration.class, DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class})
    @Import({PacingController.class, ApiErrors.class})
    static class TestApp {
        @Bean
        Clock clock() {
            return clock;
        }

        @Bean
        CampaignDays campaignDays() {
            return new CampaignDays(db.dataSource(), new GridCounters(member));
        }

        @Bean
        PacingEvents pacingEvents() {
            return new PacingEvents(clock, Duration.ofMinutes(5).toMillis());
        }

        @Bean(destroyMethod = "close")
        PacingMonitor pacingMonitor(CampaignDays days, PacingEvents events) {
            return new PacingMonitor(days, events, clock, Duration.ofMillis(100)); // started by the tests that want it running
        }
    }

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(PacingIT.class), TestGrid.freePortBase()), 1);
        member = members.get(0);
        DemoCatalog.seedIfEmpty(db.dataSource());
        app = new SpringApplicationBuilder(TestApp.class).web(WebApplicationType.SERVLET)
                .properties("server.port=0", "spring.main.banner-mode=off", "management.endpoints.enabled-by-default=false")
                .run();
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + "/api/v1";
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (members != null) {
            TestGrid.terminate(members);
        }
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void freshState() {
        IMap<Long, RouteState> map = member.getMap(GridMember.COUNTERS_MAP);
        map.clear();
        db.truncateCounters();
        db.sql("DELETE FROM campaign_price");
        db.sql("DELETE FROM campaign_budget");
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?",
                Timestamp.from(Instant.parse("2026-03-01T00:00:00Z")), Timestamp.from(Instant.parse("2026-03-01T00:00:00Z")));
        clock.set(T);
        feeder = new GridEventFeeder(member);
        writeBehind = new WriteBehind(member, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW_MINUTES);
        CampaignDays days = app.getBean(CampaignDays.class);
        stats = new StatsController(new StatsService(new StatsRepository(db.dataSource()), new GridCounters(member)), days, clock);
        prices = new CampaignPrices(db.dataSource());
        budgets = new CampaignBudgets(db.dataSource());
        monitor = app.getBean(PacingMonitor.class);
        monitor.refresh(); // forget the previous test's campaigns
    }

    @AfterEach
    void stopMonitor() {
        monitor.stop();
    }

    @Test
    void aCpcBudgetCrossingIsBilledExactlyLiveAndAfterTheFlush() throws Exception {
        prices.set(2, PricingModel.CPC, 400_000, null);
        budgets.set(2, 2_000_000L, null, "America/New_York");  // 5 clicks a day
        clicks(2, 4, T.minusSeconds(3600));
        JsonNode before = pacing(2);
        assertThat(before.get("state").asText()).isEqualTo("pacing");
        assertThat(before.get("billed_today").asText()).isEqualTo("1.60");
        assertThat(before.get("remaining").asText()).isEqualTo("0.40");
        assertThat(before.get("over_budget_today").asLong()).isZero();

        clicks(2, 3, T.minusSeconds(60)); // the fifth click reaches the budget, two more are over it
        for (String source : List.of("live", "flushed")) {
            if (source.equals("flushed")) {
                writeBehind.flushAll();
                assertThat(db.tableTotals("counter_minute", "campaign_id = 2").clicks).isEqualTo(7);
            }
            JsonNode p = pacing(2);
            assertThat(p.get("state").asText()).as(source).isEqualTo("exhausted");
            assertThat(p.get("day").asText()).isEqualTo("2026-03-10");
            assertThat(p.get("time_zone").asText()).isEqualTo("America/New_York");
            assertThat(p.get("daily_budget").asText()).isEqualTo("2.00");
            assertThat(p.get("spend_today").asText()).as(source).isEqualTo("2.80");
            assertThat(p.get("billed_today").asText()).as(source).isEqualTo("2.00");
            assertThat(p.get("over_budget_today").asLong()).as(source).isEqualTo(2);
            assertThat(p.get("billed").asText()).isEqualTo("2.00");
            assertThat(p.get("remaining").asText()).isEqualTo("0.00");
            assertThat(p.has("exhausts_at")).isFalse();
            // stats: spend keeps its meaning, the day row in the budget's zone says what was billed
            for (String s : source.equals("live") ? List.of("live") : List.of("live", "db")) {
                assertThat(dayRows(2, "America/New_York", s)).extracting(StatsRow::bucket, StatsRow::spend, StatsRow::billed, StatsRow::overBudget)
                        .containsExactly(org.assertj.core.api.Assertions.tuple("2026-03-10T00:00:00-04:00", "2.80", "2.00", 2L));
            }
            // in another zone a row is not a budget day: no billed
            assertThat(dayRows(2, "UTC", "live").get(0).billed()).isNull();
        }
    }

    @Test
    void aCpmTotalBudgetCapsImpressionsAtTheirWholeMicroCost() throws Exception {
        prices.set(1, PricingModel.CPM, 2_500_000, null);    // 2,500 micros an impression
        budgets.set(1, null, 10_000L, "UTC");                // 4 impressions in all
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            events.add(feeder.impression(1, 11, 1, T.minus(Duration.ofDays(i % 2)))); // over two days: the total spans them
        }
        feeder.apply(events);
        JsonNode p = pacing(1);
        assertThat(p.get("state").asText()).isEqualTo("exhausted");
        assertThat(p.get("spend").asText()).isEqualTo("0.015");
        assertThat(p.get("billed").asText()).isEqualTo("0.01");
        assertThat(p.get("over_budget").asLong()).isEqualTo(2);
        // yesterday's 3 were billed first, then 1 of today's 3
        assertThat(p.get("billed_today").asText()).isEqualTo("0.0025");
        assertThat(p.get("over_budget_today").asLong()).isEqualTo(2);
        // the list of every budgeted campaign (the dashboard's budgets panel) says the same after the monitor's refresh
        monitor.refresh();
        HttpResponse<String> all = get("/pacing");
        assertThat(all.statusCode()).isEqualTo(200);
        List<JsonNode> listed = new ArrayList<>();
        JSON.readTree(all.body()).get("campaigns").forEach(listed::add);
        assertThat(listed).extracting(n -> n.get("campaign").asLong()).isSorted().contains(1L);
        JsonNode one = listed.stream().filter(n -> n.get("campaign").asLong() == 1).findFirst().orElseThrow();
        assertThat(one.get("state").asText()).isEqualTo("exhausted");
        assertThat(one.get("billed").asText()).isEqualTo("0.01");
        assertThat(one.get("over_budget").asLong()).isEqualTo(2);
        writeBehind.flushAll();
        assertThat(dayRows(1, "UTC", "db")).extracting(StatsRow::billed, StatsRow::overBudget)
                .containsExactly(org.assertj.core.api.Assertions.tuple("0.0075", 0L), org.assertj.core.api.Assertions.tuple("0.0025", 2L));
    }

    @Test
    void theStreamSaysExhaustedAfterTheCrossingAndAReconnectResumesWithLastEventId() throws Exception {
        prices.set(2, PricingModel.CPC, 400_000, null);
        budgets.set(2, 2_000_000L, null, "America/New_York");
        prices.set(5, PricingModel.CPC, 400_000, null);
        budgets.set(5, 4_000_000L, null, "America/New_York");
        monitor.start();
        Sse first = Sse.open(base + "/pacing/stream", null);
        // on connect: every budgeted campaign's current state
        List<SseEvent> snapshot = List.of(first.next(), first.next());
        assertThat(snapshot).extracting(e -> e.data().get("campaign").asLong()).containsExactlyInAnyOrder(2L, 5L);
        assertThat(snapshot).extracting(e -> e.data().get("state").asText()).containsOnly("pacing");

        clicks(2, 6, T.minusSeconds(60));
        SseEvent exhausted = first.next();
        assertThat(exhausted.event()).isEqualTo("pacing");
        assertThat(exhausted.data().get("campaign").asLong()).isEqualTo(2);
        assertThat(exhausted.data().get("state").asText()).isEqualTo("exhausted");
        assertThat(exhausted.data().get("billed_today").asText()).isEqualTo("2.00");
        assertThat(exhausted.data().get("over_budget_today").asLong()).isEqualTo(1);
        assertThat(Long.parseLong(exhausted.id())).isGreaterThan(Long.parseLong(snapshot.get(1).id()));
        first.close();

        // while the client is away: campaign 5 crosses, then campaign 2's budget is raised
        clicks(5, 10, T.minusSeconds(30));
        awaitState(5, "exhausted");
        budgets.set(2, 4_000_000L, null, "America/New_York");
        awaitState(2, "pacing");

        Sse resumed = Sse.open(base + "/pacing/stream", exhausted.id());
        SseEvent missed1 = resumed.next();
        SseEvent missed2 = resumed.next();
        assertThat(List.of(missed1, missed2)).extracting(e -> e.data().get("campaign").asLong() + " " + e.data().get("state").asText())
                .containsExactly("5 exhausted", "2 pacing");
        assertThat(Long.parseLong(missed2.id())).isGreaterThan(Long.parseLong(missed1.id()));
        assertThat(Long.parseLong(missed1.id())).isGreaterThan(Long.parseLong(exhausted.id()));
        assertThat(resumed.poll(Duration.ofMillis(800))).as("nothing else: no snapshot after a resume").isNull();
        resumed.close();

        // an id this process never gave (from before a restart): every current state
        Sse unknown = Sse.open(base + "/pacing/stream", "42");
        List<SseEvent> again = List.of(unknown.next(), unknown.next());
        assertThat(again).extracting(e -> e.data().get("campaign").asLong() + " " + e.data().get("state").asText())
                .containsExactlyInAnyOrder("5 exhausted", "2 pacing");
        unknown.close();
    }

    @Test
    void aDailyBudgetStartsAgainAtTheCampaignsLocalMidnightInANonUtcZone() throws Exception {
        ZoneId kolkata = ZoneId.of("Asia/Kolkata"); // UTC+05:30: its days are not whole UTC hours either
        LocalDate day = LocalDate.parse("2026-03-10");
        Instant midnight = day.plusDays(1).atStartOfDay(kolkata).toInstant(); // 2026-03-10T18:30:00Z
        prices.set(3, PricingModel.CPA, 5_000_000, null);
        budgets.set(3, 10_000_000L, null, "Asia/Kolkata"); // 2 sales a day
        List<GridEvent> sales = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sales.add(feeder.sale(3, 13, 1, midnight.minusSeconds(600 + i), 1_000_000));
        }
        feeder.apply(sales);
        clock.set(midnight.minusSeconds(30));
        assertThat(monitor.refresh()).extracting(Pacing::campaign, Pacing::state, Pacing::day).containsExactly(
                org.assertj.core.api.Assertions.tuple(3L, "exhausted", "2026-03-10"));

        clock.set(midnight.plusSeconds(30)); // 00:00:30 in Kolkata: a new day, nothing billed yet
        List<Pacing> reset = monitor.refresh();
        assertThat(reset).extracting(Pacing::campaign, Pacing::state, Pacing::day, Pacing::billedToday)
                .containsExactly(org.assertj.core.api.Assertions.tuple(3L, "pacing", "2026-03-11", "0.00"));

        feeder.apply(List.of(feeder.sale(3, 13, 1, midnight.plusSeconds(5), 1_000_000)));
        assertThat(monitor.refresh()).isEmpty();
        assertThat(pacing(3).get("billed_today").asText()).isEqualTo("5.00");
        writeBehind.flushAll();
        JsonNode p = pacing(3);
        assertThat(p.get("state").asText()).isEqualTo("pacing");
        assertThat(p.get("billed").asText()).isEqualTo("15.00");
        assertThat(p.get("over_budget").asLong()).isEqualTo(1);
        assertThat(dayRows(3, "Asia/Kolkata", "db")).extracting(StatsRow::bucket, StatsRow::spend, StatsRow::billed, StatsRow::overBudget)
                .containsExactly(org.assertj.core.api.Assertions.tuple("2026-03-10T00:00:00+05:30", "15.00", "10.00", 1L),
                        org.assertj.core.api.Assertions.tuple("2026-03-11T00:00:00+05:30", "5.00", "5.00", 0L));
    }

    @Test
    void aTotalBudgetCountsHistoryOlderThanTheRetainedHoursByUtcDay() throws Exception {
        // only UTC days are left before 2026-03-05 (hours and minutes dropped by retention): New York days cannot be told there
        Timestamp cut = Timestamp.from(Instant.parse("2026-03-05T00:00:00Z"));
        db.sql("UPDATE rollup_state SET minutes_from = ?, hours_from = ?, hours_until = ?, days_until = ?", cut, cut, cut, cut);
        // a rolled day as the rollup job leaves it: its counter row and its summaries (V14)
        for (String table : List.of("counter_day", "campaign_day", "banner_day")) {
            db.sql("SELECT ensure_rollup_partition(?, '2026-03-01T00:00:00Z')", table);
        }
        db.sql("INSERT INTO counter_day (day, campaign_id, banner_id, publisher_id, impressions, clicks) VALUES ('2026-03-01T00:00:00Z', 2, 12, 1, 3, 3)");
        db.sql("INSERT INTO campaign_day (day, campaign_id, impressions, clicks) VALUES ('2026-03-01T00:00:00Z', 2, 3, 3)");
        db.sql("INSERT INTO banner_day (day, banner_id, campaign_id, impressions, clicks) VALUES ('2026-03-01T00:00:00Z', 12, 2, 3, 3)");
        prices.set(2, PricingModel.CPC, 400_000, null);
        budgets.set(2, null, 2_000_000L, "America/New_York");  // 5 clicks in all: 3 of them on March 1st
        clicks(2, 4, T.minusSeconds(60));
        for (String source : List.of("live", "flushed")) {
            if (source.equals("flushed")) {
                writeBehind.flushAll();
            }
            JsonNode p = pacing(2);
            assertThat(p.get("state").asText()).as(source).isEqualTo("exhausted");
            assertThat(p.get("spend").asText()).as(source).isEqualTo("2.80");
            assertThat(p.get("billed").asText()).as(source).isEqualTo("2.00");
            assertThat(p.get("over_budget").asLong()).as(source).isEqualTo(2);
            assertThat(p.get("billed_today").asText()).as(source).isEqualTo("0.80");
        }
    }

    @Test
    void aDayCutByToIsBilledUpToToAndADayCutByFromIsNotBilled() {
        prices.set(2, PricingModel.CPC, 400_000, null);
        budgets.set(2, 2_000_000L, null, "America/New_York");
        clicks(2, 3, T.minusSeconds(3600)); // 10:00 New York
        clicks(2, 4, T.plusSeconds(3600));  // 12:00: 2 billed, 2 over
        List<StatsRow> upToNoon = ((StatsController.StatsAnswer) stats.stats("2", null, null, "2026-03-10", "2026-03-10T11:30",
                "day", "America/New_York", "live", null, null).getBody()).rows();
        assertThat(upToNoon).extracting(StatsRow::spend, StatsRow::billed, StatsRow::overBudget)
                .containsExactly(org.assertj.core.api.Assertions.tuple("1.20", "1.20", 0L));
        List<StatsRow> fromNoon = ((StatsController.StatsAnswer) stats.stats("2", null, null, "2026-03-10T11:30", "2026-03-11",
                "day", "America/New_York", "live", null, null).getBody()).rows();
        assertThat(fromNoon).extracting(StatsRow::spend, StatsRow::billed).containsExactly(org.assertj.core.api.Assertions.tuple("1.60", null));
    }

    @Test
    void aCampaignWithoutABudgetHasNoneAndBadIdsAre4xx() throws Exception {
        JsonNode p = pacing(4);
        assertThat(p.get("state").asText()).isEqualTo("no_budget");
        assertThat(p.has("remaining")).isFalse();
        assertThat(get("/campaigns/99/pacing").statusCode()).isEqualTo(404);
        assertThat(get("/campaigns/x/pacing").statusCode()).isEqualTo(400);
        assertThat(get("/campaigns/0/pacing").statusCode()).isEqualTo(400);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** {@code n} clean clicks of campaign {@code c} (each after its impression) at {@code at}. */
    private void clicks(long c, int n, Instant at) {
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GridEvent shown = feeder.impression(c, 10 + c, 1 + i % 3, at.plusMillis(i));
            events.add(shown);
            events.add(feeder.clickOf(shown));
        }
        feeder.apply(events);
    }

    private void awaitState(long campaign, String state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Pacing p = app.getBean(PacingEvents.class).current(campaign);
            if (p != null && p.state().equals(state)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("campaign " + campaign + " never " + state);
    }

    private List<StatsRow> dayRows(long campaign, String tz, String source) {
        return ((StatsController.StatsAnswer) stats.stats(Long.toString(campaign), null, null, "2026-03-08", "2026-03-13", "day", tz,
                source, null, null).getBody()).rows();
    }

    private static JsonNode pacing(long campaign) throws Exception {
        HttpResponse<String> r = get("/campaigns/" + campaign + "/pacing");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    record SseEvent(String id, String event, JsonNode data) {
    }

    /** A server-sent-events client over the JDK's HttpClient: events are parsed on the stream's own thread. */
    static final class Sse implements AutoCloseable {
        private final BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
        private final Stream<String> lines;

        private Sse(HttpResponse<Stream<String>> response) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            this.lines = response.body();
            Thread reader = new Thread(() -> {
                String id = null;
                String event = null;
                StringBuilder data = new StringBuilder();
                try {
                    for (String line : (Iterable<String>) lines::iterator) {
                        if (line.isEmpty()) {
                            if (data.length() > 0) {
                                events.add(new SseEvent(id, event, JSON.readTree(data.toString())));
                            }
                            id = null;
                            event = null;
                            data.setLength(0);
                        } else if (line.startsWith("id:")) {
                            id = line.substring(3).trim();
                        } else if (line.startsWith("event:")) {
                            event = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            data.append(line.substring(5).trim());
                        }
                    }
                } catch (Exception e) {
                    // closed
                }
            }, "sse-test-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static Sse open(String url, String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            return new Sse(http.send(b.build(), HttpResponse.BodyHandlers.ofLines()));
        }

        SseEvent next() throws InterruptedException {
            SseEvent e = events.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("an event within 30 s").isNotNull();
            return e;
        }

        SseEvent poll(Duration d) throws InterruptedException {
            return events.poll(d.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            lines.close();
        }
    }
}
