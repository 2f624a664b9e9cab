package io.adgrid.persister.writebehind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.MovableClock;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write-behind's metrics against a real member and a real PostgreSQL that is stopped and
 * started again on the same port and data. A clock the test moves makes the lag exact.
 */
class WriteBehindMetricsIT {

    private static final int PORT_BASE = TestPorts.of(5850);
    private static final int WINDOW_MINUTES = 10;

    private final MovableClock clock = new MovableClock(Instant.now());
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private Path databaseDir;
    private EmbeddedDatabase database;
    private int databasePort;
    private HikariDataSource pool;
    private HazelcastInstance member;
    private IMap<Long, RouteState> map;
    private GridEventFeeder feeder;
    private WriteBehind writeBehind;

    @BeforeEach
    void start() throws IOException {
        databaseDir = Files.createTempDirectory("adgrid-wb-metrics");
        database = EmbeddedDatabase.start(databaseDir, 0);
        databasePort = database.port();
        pool = Database.pool(database.settings(), "wb-metrics", 2);
        Database.migrate(pool);
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), PORT_BASE);
        member = GridMember.start(settings);
        map = member.getMap(GridMember.COUNTERS_MAP);
        feeder = new GridEventFeeder(member);
        writeBehind = new WriteBehind(member, new CounterWriter(pool), clock, WINDOW_MINUTES);
        writeBehind.bindTo(registry);
        // Registers the backlog gauges; an hour's interval keeps the scheduled cycle out of the test.
        writeBehind.start(Duration.ofHours(1));
    }

    @AfterEach
    void stop() {
        if (writeBehind != null) {
            writeBehind.close();
        }
        if (member != null) {
            member.getLifecycleService().terminate();
        }
        if (pool != null) {
            pool.close();
        }
        if (database != null) {
            database.close();
        }
        deleteRecursively(databaseDir);
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a leftover temporary directory is harmless
        }
    }

    @Test
    void writesAreCountedSizedAndTimed() {
        List<GridEvent> events = traffic(12, 3);
        Set<Long> routeKeys = new HashSet<>();
        events.forEach(e -> routeKeys.add(e.routeKey()));

        WriteBehind.CycleResult r = writeBehind.flushAll();

        assertThat(r.newBatches()).isEqualTo(routeKeys.size());
        assertThat(registry.get("adgrid.writebehind.batches").counter().count()).isEqualTo(routeKeys.size());
        assertThat(registry.get("adgrid.writebehind.write.rows").summary().totalAmount()).isEqualTo(r.rows());
        assertThat(registry.get("adgrid.writebehind.write.rows").summary().count()).isPositive();
        assertThat(registry.get("adgrid.writebehind.write.latency").timer().count())
                .isEqualTo(registry.get("adgrid.writebehind.write.rows").summary().count());
        assertThat(registry.get("adgrid.writebehind.write.failures").counter().count()).isZero();
        assertThat(gauge("adgrid.writebehind.lag")).isZero();
    }

    @Test
    void backlogAndDedupMemoryShowWhatTheGridHoldsUnwritten() {
        List<GridEvent> events = traffic(8, 5);
        Set<Long> routeKeys = new HashSet<>();
        events.forEach(e -> routeKeys.add(e.routeKey()));
        int counterKeys = feeder.expected().size();

        assertThat(gauge("adgrid.writebehind.backlog.entries")).isEqualTo(routeKeys.size());
        assertThat(gauge("adgrid.writebehind.backlog.keys")).isEqualTo(counterKeys);
        assertThat(gauge("adgrid.grid.dedup.identities")).isEqualTo(events.size());
        // 16 bytes a slot, at least one slot an identity; a set starts at 16 slots (288 bytes).
        assertThat(gauge("adgrid.grid.dedup.bytes")).isBetween(16.0 * events.size(), 288.0 * events.size());

        writeBehind.flushAll();
        clock.advance(WriteBehind.BACKLOG_READING_MAX_AGE);

        assertThat(gauge("adgrid.writebehind.backlog.entries")).as("written: nothing unwritten").isZero();
        assertThat(gauge("adgrid.writebehind.backlog.keys")).isZero();
        assertThat(gauge("adgrid.grid.dedup.identities")).as("identities stay for the replay window").isEqualTo(events.size());
    }

    @Test
    void lagGrowsWhilePostgreSqlIsDownAndFailuresAreCountedUntilItIsBack() throws SQLException {
        traffic(6, 2);
        writeBehind.flushAll();
        assertThat(gauge("adgrid.writebehind.lag")).isZero();

        database.close();
        database = null;
        traffic(6, 2);
        clock.advance(Duration.ofSeconds(20));
        assertThatThrownBy(writeBehind::flushAll).hasMessageContaining("PostgreSQL");
        clock.advance(Duration.ofSeconds(25));

        assertThat(gauge("adgrid.writebehind.lag")).as("seconds since the last complete write").isEqualTo(45.0);
        assertThat(registry.get("adgrid.writebehind.write.failures").counter().count()).isGreaterThanOrEqualTo(1);
        clock.advance(WriteBehind.BACKLOG_READING_MAX_AGE);
        assertThat(gauge("adgrid.writebehind.backlog.keys")).isPositive();

        database = EmbeddedDatabase.start(databaseDir, databasePort);
        writeBehind.flushAll();
        clock.advance(WriteBehind.BACKLOG_READING_MAX_AGE);

        assertThat(gauge("adgrid.writebehind.lag")).isEqualTo((double) WriteBehind.BACKLOG_READING_MAX_AGE.toSeconds());
        assertThat(gauge("adgrid.writebehind.backlog.keys")).isZero();
        assertThat(impressionsInDatabase()).isEqualTo(feeder.expectedTotal().impressions);
    }

    private long impressionsInDatabase() throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(impressions), 0) FROM counter_minute")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    /** Impressions on {@code banners} banners of campaign 1, {@code perBanner} each, at distinct publishers. */
    private List<GridEvent> traffic(int banners, int perBanner) {
        List<GridEvent> events = new ArrayList<>();
        Instant ts = Instant.now();
        for (int b = 1; b <= banners; b++) {
            for (int i = 0; i < perBanner; i++) {
                events.add(feeder.impression(1, b, 1 + i, ts));
            }
        }
        feeder.apply(events);
        return events;
    }
}
