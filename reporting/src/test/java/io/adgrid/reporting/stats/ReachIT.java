package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Unique reach (issue 21) in stats, against a real member and a real PostgreSQL: live from the grid,
 * from PostgreSQL after the write-behind, and the union of both, a user counted once wherever they are;
 * per UTC day and in total, for a campaign and for a banner. Without u, stats are as before.
 */
class ReachIT {

    private static final int WINDOW_MINUTES = 10 * 366 * 24 * 60;
    private static final Instant DAY1 = Instant.parse("2026-03-10T00:00:00Z");
    private static final Instant T1 = DAY1.plus(Duration.ofHours(12));
    private static final Instant T2 = T1.plus(Duration.ofDays(1));

    private static TestDatabase db;
    private static List<HazelcastInstance> members;
    private static HazelcastInstance member;

    private GridEventFeeder feeder;
    private WriteBehind writeBehind;
    private StatsController controller;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(ReachIT.class), TestGrid.freePortBase()), 1);
        member = members.get(0);
        DemoCatalog.seedIfEmpty(db.dataSource());
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
        IMap<Long, RouteState> map = member.getMap(GridMember.COUNTERS_MAP);
        map.clear();
        db.truncateCounters();
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?",
                Timestamp.from(DAY1), Timestamp.from(DAY1));
        feeder = new GridEventFeeder(member);
        writeBehind = new WriteBehind(member, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW_MINUTES);
        controller = new StatsController(new StatsService(new StatsRepository(db.dataSource()), new GridCounters(member)), Clock.systemUTC());
    }

    /** Impressions of users "u<from>" .. "u<to - 1>" on a banner of campaign 1 at {@code at}. */
    private List<GridEvent> seen(long banner, int from, int to, Instant at) {
        List<GridEvent> out = new ArrayList<>();
        for (int u = from; u < to; u++) {
            out.add(feeder.impression(1, banner, 1 + u % 3, at.plusMillis(u)).withUser(Reach.userHash("u" + u)));
        }
        return out;
    }

    @Test
    void reachIsTheUnionOfTheGridsAndPostgresqlsUsersPerUtcDayAndInTotal() {
        feeder.apply(seen(11, 0, 300, T1));                 // day 1: users 0..299 on banner 11
        feeder.apply(seen(21, 200, 400, T1));               // day 1: users 200..399 on banner 21, the same campaign
        assertReach("live", 400, 400, null);
        assertThat(total("banner=11", "live").reach()).isEqualTo(300);

        writeBehind.flushAll();
        assertReach("db", 400, 400, null);
        assertReach("live", 400, 400, null);

        feeder.apply(seen(11, 250, 500, T1.plusSeconds(60)));  // day 1 again, in the grid only: 100 new users
        feeder.apply(seen(11, 0, 50, T2));                     // day 2: 50 users seen on day 1 too
        assertReach("live", 500, 500, 50L);   // day 2's users are day 1's: the total counts them once
        assertReach("db", 400, 400, null);
        assertThat(total("banner=11", "live").reach()).isEqualTo(500);

        writeBehind.flushAll();
        assertReach("db", 500, 500, 50L);
        assertReach("live", 500, 500, 50L);   // day 2's users are day 1's: the total counts them once
    }

    @Test
    void statsWithoutUsersOrWhereReachIsNotKeptAreAsBefore() {
        List<GridEvent> anonymous = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            anonymous.add(feeder.impression(1, 11, 1, T1.plusSeconds(i)));
        }
        feeder.apply(anonymous);
        assertThat(total("campaign=1", "live").reach()).as("no u: no reach").isNull();

        feeder.apply(seen(11, 0, 10, T1));
        assertThat(total("campaign=1", "live").reach()).isEqualTo(10);
        assertThat(rows("campaign=1", "day", "Europe/Paris")).as("another zone's days").allMatch(r -> r.reach() == null);
        assertThat(rows("campaign=1", "hour", "UTC")).allMatch(r -> r.reach() == null);
        assertThat(rows("publisher=1", "total", "UTC")).allMatch(r -> r.reach() == null);
    }

    private void assertReach(String source, long total, long day1, Long day2) {
        assertThat(total("campaign=1", source).reach()).as("%s total", source).isEqualTo(total);
        List<StatsRow> days = controllerRows("1", null, null, "day", "UTC", source);
        assertThat(days.get(0).reach()).as("%s day 1", source).isEqualTo(day1);
        if (day2 != null) {
            assertThat(days.get(1).reach()).as("%s day 2", source).isEqualTo(day2);
        }
    }

    private StatsRow total(String selection, String source) {
        String[] kv = selection.split("=");
        return controllerRows(kv[0].equals("campaign") ? kv[1] : null, kv[0].equals("banner") ? kv[1] : null,
                kv[0].equals("publisher") ? kv[1] : null, "total", "UTC", source).get(0);
    }

    private List<StatsRow> rows(String selection, String granularity, String tz) {
        String[] kv = selection.split("=");
        return controllerRows(kv[0].equals("campaign") ? kv[1] : null, kv[0].equals("banner") ? kv[1] : null,
                kv[0].equals("publisher") ? kv[1] : null, granularity, tz, "live");
    }

    private List<StatsRow> controllerRows(String campaign, String banner, String publisher, String granularity, String tz, String source) {
        return ((StatsController.StatsAnswer) controller.stats(campaign, banner, publisher, "2026-03-10", "2026-03-12", granularity, tz,
                source, null, null).getBody()).rows();
    }
}
