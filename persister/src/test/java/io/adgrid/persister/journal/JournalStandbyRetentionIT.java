package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.testing.MovableClock;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.StreamingPostgresPair;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 17.6: a journal file whose counts PostgreSQL holds is kept until the standby has replayed the
 * commit (a promotion cannot lose them then), and, with no standby listed, for the horizon. Two
 * Debian PostgreSQL 15 servers in streaming replication (needs root; skipped otherwise); the keeper's
 * clock runs two days ahead, so every file is past its window and only the standby decides.
 * Ports 9130, 9131 (PostgreSQL) and 9140-9142 (the member), moved per fork by {@link TestPorts}.
 */
class JournalStandbyRetentionIT {

    private static final String PASSWORD = "retention";
    private static final int PRIMARY_PORT = TestPorts.of(9130);
    private static final int STANDBY_PORT = TestPorts.of(9131);
    private static final int WINDOW = 17;

    private StreamingPostgresPair servers;
    private HikariDataSource primary;
    private HazelcastInstance member;
    private JournalKeeper keeper;

    @AfterEach
    void stop() throws Exception {
        if (keeper != null) {
            keeper.close();
        }
        if (member != null) {
            member.getLifecycleService().terminate();
        }
        if (primary != null) {
            primary.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void aWrittenFileIsKeptUntilTheStandbyReplayedItOrWithoutStandbyForTheHorizon() throws Exception {
        assumeTrue(StreamingPostgresPair.available(), "needs root and Debian's PostgreSQL 15 binaries");
        servers = StreamingPostgresPair.start(PASSWORD, PRIMARY_PORT, STANDBY_PORT);
        primary = Database.pool(servers.primary(), "retention", 4);
        Database.migrate(primary);

        MovableClock clock = new MovableClock(Instant.now().plus(Duration.ofDays(2)));
        MemberJournal journal = new MemberJournal(servers.dir().resolve("journal"), WINDOW);
        member = GridMember.start(TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestPorts.of(9140)), journal);
        keeper = new JournalKeeper(journal, member, primary, clock).withStandbyHorizon(Duration.ofMinutes(30)).start();
        GridEventFeeder feeder = new GridEventFeeder(member);
        WriteBehind writeBehind = new WriteBehind(member, new CounterWriter(primary), Clock.systemUTC(), WINDOW);

        // The standby receives but does not replay: a promotion now would still have the WAL, but
        // replay_lsn is what AdGrid can see, and it stays behind.
        assertThat(StreamingPostgresPair.query(servers.standby(), "SELECT pg_wal_replay_pause()")).as("replay paused").isNotNull();
        feeder.apply(impressions(feeder, 100));
        writeBehind.flushAll();
        List<Path> written = MemberJournal.files(journal.directory());
        assertThat(written).as("journal files").isNotEmpty();
        keeper.sweep();
        assertThat(MemberJournal.files(journal.directory())).as("written, past their window, but the standby has not "
                + "replayed the commit").isEqualTo(written);

        assertThat(StreamingPostgresPair.query(servers.standby(), "SELECT pg_wal_replay_resume()")).as("replay resumed").isNotNull();
        String at = query(primary, "SELECT pg_current_wal_lsn()::text");
        Wait.until("the standby replayed the flush", Duration.ofSeconds(60), () -> query(primary,
                "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn >= '" + at + "'::pg_lsn").equals("1"));
        keeper.sweep();
        assertThat(MemberJournal.files(journal.directory())).as("the standby replayed it").isEmpty();

        // No standby listed (stopped, as a disconnected one is): kept for the horizon.
        servers.stopStandby();
        Wait.until("no standby listed", Duration.ofSeconds(60), () -> query(primary, "SELECT count(*) FROM pg_stat_replication").equals("0"));
        feeder.apply(impressions(feeder, 100));
        writeBehind.flushAll();
        keeper.sweep();
        assertThat(MemberJournal.files(journal.directory())).as("no standby known, horizon not passed").isNotEmpty();
        clock.advance(Duration.ofMinutes(29));
        keeper.sweep();
        assertThat(MemberJournal.files(journal.directory())).as("29 minutes of a 30-minute horizon").isNotEmpty();
        clock.advance(Duration.ofMinutes(2));
        keeper.sweep();
        assertThat(MemberJournal.files(journal.directory())).as("past the horizon").isEmpty();
        assertThat(query(primary, "SELECT sum(impressions) FROM counter_minute")).isEqualTo("200");
    }

    private static List<GridEvent> impressions(GridEventFeeder feeder, int n) {
        List<GridEvent> events = new ArrayList<>();
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            events.add(feeder.impression(1, 10 + i % 7, 100 + i % 3, now));
        }
        return events;
    }

    private static String query(HikariDataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? String.valueOf(rs.getString(1)) : null;
        } catch (Exception e) {
            return "error: " + e.getMessage();
        }
    }
}
