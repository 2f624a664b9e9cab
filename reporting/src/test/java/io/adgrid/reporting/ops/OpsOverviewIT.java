package io.adgrid.reporting.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.reporting.stats.GridCounters;
import io.adgrid.reporting.stats.StatsRepository;
import io.adgrid.reporting.stats.StatsService;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ops overview against two real members and a real PostgreSQL: every member answers through
 * the grid's executor, the first one with a process registry as AdGrid publishes it.
 */
class OpsOverviewIT {

    private static final int PORT_BASE = TestPorts.of(5850);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static TestDatabase db;
    private static List<HazelcastInstance> members;
    private static final MeterRegistry registry = new SimpleMeterRegistry();
    private static WriteBehind writeBehind;

    private final List<OpsOverview> overviews = new ArrayList<>();
    private IMap<Long, RouteState> map;
    private GridEventFeeder feeder;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(OpsOverviewIT.class), PORT_BASE), 2);
        MeterSamples.publish(members.get(0), registry);
        writeBehind = new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), 10);
        writeBehind.bindTo(registry);
        // Publishes the lag and backlog gauges; the hour's interval keeps cycles out: the lag only grows.
        writeBehind.start(Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        if (writeBehind != null) {
            writeBehind.close();
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
        map = members.get(0).getMap(GridMember.COUNTERS_MAP);
        map.clear();
        db.truncateCounters();
        feeder = new GridEventFeeder(members.get(0));
        // As in a deployment, where the rollup job runs every few minutes: the state is current.
        rollUp(Instant.now());
    }

    @AfterEach
    void closeOverviews() {
        overviews.forEach(OpsOverview::close);
    }

    @Test
    void everyMemberAnswersWithItsPartitionsEntriesAndMeters() {
        impressions(4, 30, 2);
        OpsOverview ops = overview(db.dataSource(), Duration.ofHours(1));

        OpsOverview.Overview o = ops.overview(0);

        assertThat(o.cluster().members()).hasSize(2);
        assertThat(o.cluster().unanswered()).isEmpty();
        assertThat(o.cluster().members().stream().mapToInt(OpsOverview.MemberView::partitions).sum()).isEqualTo(o.cluster().partitionCount());
        assertThat(o.cluster().members().stream().mapToLong(OpsOverview.MemberView::entries).sum()).isEqualTo(map.size());
        OpsOverview.MemberView local = o.cluster().members().stream().filter(OpsOverview.MemberView::local).findFirst().orElseThrow();
        assertThat(local.roles()).contains("data", "reporting");
        assertThat(local.lagSeconds()).as("from the process registry").isNotNull();
        assertThat(o.cluster().members().stream().filter(m -> !m.local()).findFirst().orElseThrow().lagSeconds())
                .as("a member without a registry").isNull();
        // The backlog gauges are a reading up to 3 s old: one taken before these impressions (an earlier
        // test's, on a slow box) shows none yet; the next shows them.
        Wait.until("identities in the first member's own entries", WAIT, () -> {
            Long identities = ops.overview(0).writeBehind().dedupIdentities();
            return identities != null && identities > 0;
        });
    }

    @Test
    void ratesComeFromSuccessiveReadingsAndTotalsAddUpEveryProcess() {
        Counter accepted = Counter.builder(OpsPoint.EVENTS).tags("type", "impression", "outcome", "accepted", "reason", "ok").register(registry);
        Counter refused = Counter.builder(OpsPoint.EVENTS).tags("type", "click", "outcome", "rejected", "reason", "bad_signature").register(registry);
        Counter unbound = Counter.builder("adgrid.gateway.suspect.clicks").tag("reason", "unbound_type").register(registry);
        OpsOverview ops = overview(db.dataSource(), Duration.ofHours(1));
        OpsOverview.Overview first = ops.overview(0);

        accepted.increment(50);
        refused.increment(5);
        unbound.increment(2);
        Wait.until("the next reading", WAIT, () -> ops.overview(0).series().size() > first.series().size());
        OpsOverview.Overview second = ops.overview(first.time());

        assertThat(second.series()).isNotEmpty().allMatch(p -> p.t() > first.time());
        assertThat(second.series().get(0).acceptedPerSecond().get("impression")).isPositive();
        assertThat(second.series().get(0).rejectedPerSecond().get("bad_signature")).isPositive();
        assertThat(second.totals().acceptedByType()).containsEntry("impression", (long) accepted.count());
        assertThat(second.totals().rejectedByReason()).containsEntry("bad_signature", (long) refused.count());
        assertThat(second.totals().suspectByReason()).as("the fraud view").containsEntry("unbound_type", 2L);
        assertThat(second.cluster().members().stream().filter(OpsOverview.MemberView::local).findFirst().orElseThrow().roles())
                .contains("gateway");
    }

    @Test
    void topListsRankLiveCampaignsAndBannersByImpressions() {
        impressions(2, 5, 1);
        impressions(7, 12, 3);
        OpsOverview ops = overview(db.dataSource(), Duration.ofHours(1));

        OpsOverview.Overview o = await(ops, x -> !x.top().campaigns().isEmpty());

        assertThat(o.top().error()).isNull();
        assertThat(o.top().campaigns()).extracting(r -> r.id()).containsExactly(7L, 2L);
        assertThat(o.top().campaigns().get(0).impressions()).isEqualTo(12 * 3);
        assertThat(o.top().banners()).hasSize(12 + 5);
    }

    @Test
    void aHealthyClusterIsGreen() {
        OpsOverview ops = overview(db.dataSource(), Duration.ofHours(1));

        OpsOverview.Overview o = await(ops, x -> "up".equals(x.database().state()) && x.cluster().safe());

        assertThat(o.status().level()).isEqualTo("ok");
        assertThat(o.status().problems()).isEmpty();
    }

    @Test
    void writeBehindLagOverTheAlarmTurnsTheStatusRed() {
        OpsOverview ops = overview(db.dataSource(), Duration.ofSeconds(1));

        OpsOverview.Overview o = await(ops, x -> "red".equals(x.status().level()));

        assertThat(o.status().problems()).anyMatch(p -> p.startsWith("write-behind lag"));
        assertThat(o.writeBehind().lagSeconds()).isGreaterThan(1.0);
    }

    @Test
    void aRollupFarBehindIsShownWithItsLastRunAndWarns() throws Exception {
        OpsOverview ops = overview(db.dataSource(), Duration.ofHours(1));
        OpsOverview.Overview current = await(ops, x -> x.rollup() != null && x.rollup().lastRun() != null);
        // A job that just ran has rolled every hour that ended 5 min ago: lag = 1 h + 5 min at most (1 min to spare).
        assertThat(current.rollup().lagSeconds()).as("a job that just ran").isLessThan(66 * 60);
        assertThat(current.status().problems()).noneMatch(p -> p.startsWith("rollup"));

        // The job stopped five hours ago (its process gone, say): hours_until stays where it was.
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE rollup_state SET hours_until = date_trunc('hour', now()) - interval '5 hours', "
                    + "last_run = now() - interval '5 hours', rows_rolled = 1234, partitions_dropped = 2");
        }
        try {
            OpsOverview.Overview behind = await(ops, x -> x.rollup() != null && x.rollup().rowsRolled() == 1234);
            assertThat(behind.rollup().lagSeconds()).isGreaterThan(4 * 3600);
            assertThat(behind.rollup().partitionsDropped()).isEqualTo(2);
            assertThat(behind.status().level()).isEqualTo("warn");
            assertThat(behind.status().problems()).anyMatch(p -> p.startsWith("rollup 4.") || p.startsWith("rollup 5."));
        } finally {
            rollUp(Instant.now());
        }
    }

    @Test
    void unreachableDatabaseTurnsTheStatusRedAndTheTopListsUnavailable() {
        EmbeddedDatabase doomed = EmbeddedDatabase.startTemporary();
        boolean stopped = false;
        try (HikariDataSource pool = Database.pool(doomed.settings(), "ops-doomed", 2)) {
            Database.migrate(pool);
            StatsService stats = new StatsService(new StatsRepository(pool), new GridCounters(members.get(0)));
            OpsOverview ops = track(new OpsOverview(members.get(0), stats, pool, Clock.systemUTC(),
                    OpsOverview.Settings.defaults(Duration.ofHours(1))));
            await(ops, x -> "up".equals(x.database().state()));
            doomed.close();
            stopped = true;

            // A top-list query cut off mid-flight may first report the bare SQL error; the next refresh (2 s) names the outage.
            OpsOverview.Overview o = await(ops, x -> "down".equals(x.database().state()) && "PostgreSQL unreachable".equals(x.top().error()));

            assertThat(o.status().level()).isEqualTo("red");
            assertThat(o.status().problems().get(0)).startsWith("PostgreSQL unreachable");
            assertThat(o.database().downSince()).isNotNull();
            assertThat(o.top().error()).isEqualTo("PostgreSQL unreachable");
            assertThat(o.cluster().members()).as("the grid still answers").hasSize(2);
        } finally {
            if (!stopped) {
                doomed.close();
            }
        }
    }

    @Test
    void databaseUpIsKnownAtTheFirstScrapeNotNaN() {
        MeterRegistry fresh = new SimpleMeterRegistry();
        overview(db.dataSource(), Duration.ofHours(1)).bindTo(fresh);

        assertThat(fresh.get("adgrid.database.up").gauge().value()).isEqualTo(1.0);
    }

    @Test
    void theChartsShowWhatHappenedBeforeTheOverviewWasFirstRead() {
        Counter clicks = Counter.builder(OpsPoint.EVENTS).tags("type", "click", "outcome", "accepted", "reason", "ok").register(registry);
        try (LocalHistory history = new LocalHistory(members.get(0), Clock.systemUTC(), 900).start(Duration.ofMillis(250))) {
            Wait.until("the member's history has started", WAIT, () -> history.points().size() >= 2);
            clicks.increment(400);
            Wait.until("the member's history holds the clicks", WAIT,
                    () -> history.points().stream().anyMatch(p -> p.acceptedPerSecond().getOrDefault("click", 0.0) > 0));
            long before = System.currentTimeMillis();

            OpsOverview.Overview first = overview(db.dataSource(), Duration.ofHours(1)).overview(0);

            assertThat(first.series()).as("points from before the first reading (before=%d); the member's history now: %s",
                    before, history.points()).anyMatch(p -> p.t() < before
                    && p.acceptedPerSecond().getOrDefault("click", 0.0) > 0);
            assertThat(first.series()).extracting(OpsPoint::t).isSorted();
        }
    }

    private OpsOverview overview(javax.sql.DataSource dataSource, Duration lagAlarm) {
        StatsService stats = new StatsService(new StatsRepository(dataSource), new GridCounters(members.get(0)));
        return track(new OpsOverview(members.get(0), stats, dataSource, Clock.systemUTC(),
                new OpsOverview.Settings(lagAlarm, Duration.ofMillis(200), Duration.ofSeconds(10), 100, Duration.ofMinutes(5), 50)));
    }

    private OpsOverview track(OpsOverview ops) {
        overviews.add(ops);
        return ops;
    }

    private static OpsOverview.Overview await(OpsOverview ops, Predicate<OpsOverview.Overview> condition) {
        OpsOverview.Overview[] last = new OpsOverview.Overview[1];
        Wait.until("the overview to show it", WAIT, () -> condition.test(last[0] = ops.overview(0)));
        return last[0];
    }

    /** {@code perBanner} impressions on each of {@code banners} banners of {@code campaign}. */
    private static void rollUp(Instant now) {
        try {
            new RollupJob(db.dataSource(), RollupJob.Settings.DEFAULT).run(now);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void impressions(long campaign, int banners, int perBanner) {
        List<GridEvent> events = new ArrayList<>();
        Instant now = Instant.now();
        for (int b = 0; b < banners; b++) {
            for (int i = 0; i < perBanner; i++) {
                events.add(feeder.impression(campaign, campaign * 1_000 + b, 1 + i, now));
            }
        }
        feeder.apply(events);
    }
}
