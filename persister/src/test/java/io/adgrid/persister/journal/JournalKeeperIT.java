package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journals against real members and a real PostgreSQL: a grid killed whole is replayed from its
 * members' journals exactly once; a member restarting into a living grid replays nothing.
 */
class JournalKeeperIT {

    private static final int PORT_BASE = TestPorts.of(6430);
    private static final int WINDOW = 17;

    private static TestDatabase db;

    @TempDir
    Path root;

    private GridSettings settings;
    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<JournalKeeper> keepers = new ArrayList<>();

    @BeforeAll
    static void database() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.truncateCounters();
        db.truncateJournals();
        settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), PORT_BASE);
    }

    @AfterEach
    void stop() {
        keepers.forEach(JournalKeeper::close);
        TestGrid.terminate(members);
    }

    /** A data member journaling under {@code root/host}, with its keeper started (as the app does). */
    private JournalKeeper member(String host, Clock clock) {
        MemberJournal journal = new MemberJournal(root.resolve(host), WINDOW);
        HazelcastInstance member = GridMember.start(settings, journal);
        members.add(member);
        JournalKeeper keeper = new JournalKeeper(journal, member, db.dataSource(), clock).start();
        keepers.add(keeper);
        return keeper;
    }

    /** kill -9 of every member: no flush, no goodbye; the journals stay as the dead processes left them. */
    private void killEveryMember() {
        keepers.forEach(JournalKeeper::close);
        keepers.clear();
        TestGrid.terminate(members);
        members.clear();
    }

    private List<GridEvent> someEvents(GridEventFeeder feeder, int n) {
        return someEvents(feeder, n, Instant.now());
    }

    /** Half the events in a minute two minutes ago (closed), half in the next one (open for the whole test). */
    private List<GridEvent> closedAndOpenMinute(GridEventFeeder feeder, int n) {
        Instant now = Instant.now();
        List<GridEvent> events = new ArrayList<>(someEvents(feeder, n / 2, now.minus(Duration.ofMinutes(2))));
        events.addAll(someEvents(feeder, n / 2, now.plus(Duration.ofMinutes(1))));
        return events;
    }

    /** Events of {@link #closedAndOpenMinute} in its closed minute (not read from the clock: a slow restart outlasts the open one). */
    private static long inClosedMinute(List<GridEvent> events) {
        long open = events.stream().mapToLong(GridEvent::minute).max().orElseThrow();
        return events.stream().filter(e -> e.minute() < open).count();
    }

    private WriteBehind holdingOpenMinute() {
        return new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW, true);
    }

    private Set<Long> entries() {
        return members.get(0).<Long, Object>getMap(GridMember.COUNTERS_MAP).keySet();
    }

    private List<GridEvent> someEvents(GridEventFeeder feeder, int n, Instant now) {
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GridEvent impression = feeder.impression(1, 10 + i % 7, 100 + i % 3, now);
            events.add(impression);
            if (i % 4 == 0) {
                events.add(feeder.clickOf(impression));
            }
            if (i % 10 == 0) {
                events.add(feeder.sale(1, 10 + i % 7, 100 + i % 3, now, 1_500_000));
            }
        }
        return events;
    }

    /** The events, each impression seen by one of {@code users} users from "u<first>" on, in turn (issue 21: unique reach). */
    private static List<GridEvent> seenBy(List<GridEvent> events, int first, int users) {
        List<GridEvent> out = new ArrayList<>();
        int i = 0;
        for (GridEvent e : events) {
            out.add(e.type() == io.adgrid.event.EventType.IMPRESSION ? e.withUser(io.adgrid.grid.reach.Reach.userHash("u" + (first + i++ % users))) : e);
        }
        return out;
    }

    /** Two journaled members, host-a and host-b, in one grid, and a feeder applying events to it. */
    private GridEventFeeder feederOnTwoMembers() {
        member("host-a", Clock.systemUTC());
        member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        return new GridEventFeeder(members.get(0));
    }

    private static String gate(HazelcastInstance member) {
        return member.<String, String>getMap(RecoveryGate.MAP).get(RecoveryGate.AWAITING);
    }

    /**
     * Issue 18, seed 2 (fix 25): a gateway sent a batch again (same id) whose answer it never got, after the
     * write-behind had written the batch holding its sale. The sale, answered counted but journaled again under
     * the entry's next batch, was added to PostgreSQL a second time by the journals' replay.
     */
    @Test
    void aSaleSentAgainInItsBatchAfterThatWasWrittenIsReplayedOnce() {
        GridEventFeeder feeder = feederOnTwoMembers();
        List<GridEvent> sale = List.of(feeder.sale(4, 14, 13, Instant.now(), 151_800_000));
        feeder.apply(sale);
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterTotals()).as("written by the write-behind").isEqualTo(feeder.expectedTotal());
        assertThat(feeder.resendLastBatch(sale).get(sale.get(0).routeKey())).as("answered counted, as the first time").isNull();

        killEveryMember();
        member("host-a", Clock.systemUTC());
        member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        assertThat(gate(members.get(0))).as("gate once both are replayed").isEmpty();

        assertThat(db.counterTotals()).as("PostgreSQL after the replay: the sale once").isEqualTo(feeder.expectedTotal());
    }

    @Test
    void aGridKilledWholeIsReplayedFromItsMembersJournalsExactlyOnce() {
        GridEventFeeder feeder = feederOnTwoMembers();
        List<GridEvent> written = seenBy(someEvents(feeder, 300), 0, 200);       // users u0..u199
        feeder.apply(written);
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        List<GridEvent> inMemoryOnly = seenBy(someEvents(feeder, 200), 150, 100); // users u150..u249: 50 new
        feeder.apply(inMemoryOnly);
        Counts written300 = db.counterTotals();
        assertThat(written300.impressions).isEqualTo(300);
        assertThat(db.reach("reach_campaign_day", "campaign_id = 1")).as("unique reach written").isEqualTo(200);

        killEveryMember();

        JournalKeeper first = member("host-a", Clock.systemUTC());
        assertThat(gate(members.get(0))).as("gate while host-b's journal waits").contains("host-b");
        JournalKeeper second = member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        assertThat(gate(members.get(0))).as("gate once both are replayed").isEmpty();

        assertThat(db.counterRows().asMap()).as("PostgreSQL after the replay: every event once")
                .isEqualTo(feeder.expected().asMap());
        assertThat(db.reach("reach_campaign_day", "campaign_id = 1")).as("unique reach after the replay (issue 21)").isEqualTo(250);
        JournalKeeper.Recovery a = first.recoveries().get(0);
        JournalKeeper.Recovery b = second.recoveries().get(0);
        assertThat(a.slicesAddedToPostgres()).as("host-a added what PostgreSQL lacked").isPositive();
        assertThat(b.slicesAddedToPostgres()).as("host-b held the same slices (owner and backup)").isZero();
        assertThat(a.eventsCounted()).isEqualTo(inMemoryOnly.size());
        assertThat(a.identitiesRemembered()).as("every event's identity, sales' orders included").isEqualTo(written.size() + inMemoryOnly.size());
        assertThat(b.identitiesRemembered()).as("host-b's copies were known by then").isZero();
        assertThat(root.resolve("host-a").toFile().listFiles(java.io.File::isDirectory))
                .as("the dead journal is gone, the new one is there").hasSize(1);
        assertThat(db.sqlLong("SELECT count(*) FROM journal_directory WHERE grid_life <> '" + first.life() + "'"))
                .as("only new journals (those that took a record: the identities host-a restored)").isZero();

        // Every event, retried against the new grid (one batch), is a duplicate.
        List<GridEvent> all = new ArrayList<>(written);
        all.addAll(inMemoryOnly);
        Map<Long, long[]> answers = new GridEventFeeder(members.get(0)).replay(all);
        assertThat(answers.values().stream().mapToLong(bits -> java.util.BitSet.valueOf(bits).cardinality()).sum())
                .as("duplicate marks over every retried event").isEqualTo(all.size());
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).isEqualTo(feeder.expected().asMap());
    }

    @Test
    void aGridKilledWhileItsOpenMinuteWasHeldBackIsReplayedExactly() {
        GridEventFeeder feeder = feederOnTwoMembers();
        List<GridEvent> first = closedAndOpenMinute(feeder, 200);
        feeder.apply(first);
        holdingOpenMinute().cycle(entries());
        long closedWritten = db.counterTotals().impressions;
        List<GridEvent> late = closedAndOpenMinute(feeder, 100);
        feeder.apply(late);
        holdingOpenMinute().cycle(entries());
        long lateWritten = db.counterTotals().impressions - closedWritten;
        List<GridEvent> unwritten = closedAndOpenMinute(feeder, 100);
        feeder.apply(unwritten);

        killEveryMember();

        JournalKeeper first2 = member("host-a", Clock.systemUTC());
        member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));

        assertThat(closedWritten).as("the first cycle wrote the closed minute only").isEqualTo(100);
        assertThat(lateWritten).as("the second cycle wrote the late events of the closed minute only").isEqualTo(50);
        assertThat(db.counterRows().asMap()).as("PostgreSQL after the replay: every event once")
                .isEqualTo(feeder.expected().asMap());
        long heldBack = first.size() + late.size() + unwritten.size() - inClosedMinute(first) - inClosedMinute(late);
        assertThat(first2.recoveries().get(0).eventsCounted())
                .as("the open minute's events and the last unwritten ones, not what the partial batches wrote")
                .isEqualTo(heldBack);
    }

    @Test
    void aMemberRestartingIntoALivingGridReplaysNothing() {
        GridEventFeeder feeder = feederOnTwoMembers();
        feeder.apply(someEvents(feeder, 200));

        keepers.remove(1).close();
        members.remove(1).getLifecycleService().terminate();
        JournalKeeper restarted = member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));

        assertThat(restarted.life()).isEqualTo(keepers.get(0).life());
        assertThat(restarted.recoveries()).isEmpty();
        assertThat(gate(members.get(0))).isEmpty();
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).isEqualTo(feeder.expected().asMap());
    }

    /**
     * Fault runner, seed 3 (issue 18): a member cut off from the grid (paused past the heartbeat,
     * then alone) keeps its grid life and the counts it owns, unwritten. The other side names a new
     * life and replays the old life's journals into PostgreSQL. A write the old member makes after
     * that added every count a second time: the new life's replay had no way to stop it. A new life
     * ends the old ones in PostgreSQL before it replays them, and PostgreSQL refuses an ended life's
     * batches.
     */
    @Test
    void aMemberOfAnEndedLifeWritesNothingOnceANewLifeReplayedItsJournals() throws InterruptedException {
        GridEventFeeder feeder = feederOnTwoMembers();
        List<GridEvent> events = someEvents(feeder, 200);
        feeder.apply(events);
        UUID oldLife = keepers.get(0).life();
        HazelcastInstance cutOff = members.get(0);
        java.util.concurrent.CountDownLatch toldToRestart = new java.util.concurrent.CountDownLatch(1);
        keepers.get(0).onRestartNeeded(toldToRestart::countDown);

        // host-b dies; it comes back in another grid (it cannot reach host-a), with no life in it.
        keepers.remove(1).close();
        members.remove(1).getLifecycleService().terminate();
        settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase());
        JournalKeeper newLife = member("host-b", Clock.systemUTC());
        assertThat(newLife.life()).as("a grid with no life names one").isNotEqualTo(oldLife);
        assertThat(newLife.recoveries()).as("host-b's journal of the old life, replayed").hasSize(1);
        assertThat(db.counterRows().asMap()).as("every event once, from host-b's journal").isEqualTo(feeder.expected().asMap());

        WriteBehind oldWriter = new WriteBehind(cutOff, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW);
        Throwable refused = catchThrowable(oldWriter::flushAll);
        assertThat(db.counterRows().asMap()).as("still every event once").isEqualTo(feeder.expected().asMap());
        assertThat(refused).as("the old life's write, refused").hasMessageContaining(oldLife.toString());
        assertThat(toldToRestart.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("host-a's keeper finds its life ended").isTrue();
    }

    @Test
    void aMemberThatCanOnlyJoinAnEndedLifeAsksToBeStartedAgain() throws InterruptedException {
        member("host-a", Clock.systemUTC());
        GridSettings firstGrid = settings;
        settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase());
        member("host-b", Clock.systemUTC());
        settings = firstGrid;

        // host-c reaches only host-a's grid, whose life host-b's ended. Seeing its majority at once, its start fails.
        MemberJournal journal = new MemberJournal(root.resolve("host-c"), WINDOW);
        HazelcastInstance hostC = GridMember.start(settings, journal);
        members.add(hostC);
        assertThatThrownBy(() -> new JournalKeeper(journal, hostC, db.dataSource(), Clock.systemUTC(), 2).start())
                .hasMessageContaining("was ended by grid life");

        // Waiting for its majority (four here), it starts; once the fourth data member comes, it asks for a new start.
        MemberJournal waiting = new MemberJournal(root.resolve("host-d"), WINDOW);
        HazelcastInstance hostD = GridMember.start(settings, waiting);
        members.add(hostD);
        java.util.concurrent.CountDownLatch toldToRestart = new java.util.concurrent.CountDownLatch(1);
        keepers.add(new JournalKeeper(waiting, hostD, db.dataSource(), Clock.systemUTC(), 4).onRestartNeeded(toldToRestart::countDown).start());
        members.add(GridMember.start(settings, new MemberJournal(root.resolve("host-e"), WINDOW)));

        assertThat(toldToRestart.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("host-d cannot join: it asks for a new start").isTrue();
        assertThat(waiting.life()).as("its journal never opened").isNull();
    }

    @Test
    void filesAreDeletedOnlyOnceWrittenAndPastTheirWindow() {
        Instant later = Instant.now().plus(Duration.ofDays(2));
        JournalKeeper keeper = member("host-a", Clock.fixed(later, ZoneOffset.UTC));
        GridEventFeeder feeder = new GridEventFeeder(members.get(0));
        feeder.apply(closedAndOpenMinute(feeder, 50));
        Path dir = root.resolve("host-a").toFile().listFiles(java.io.File::isDirectory)[0].toPath();

        assertThat(keeper.sweep()).as("nothing is in PostgreSQL yet").isZero();
        holdingOpenMinute().cycle(entries());
        assertThat(db.counterTotals().impressions).as("the closed minute only").isEqualTo(25);
        int filesBefore = MemberJournal.files(dir).size();
        int swept = keeper.sweep();
        assertThat(swept).as("the closed minute's beacons have a file of their own, now written").isPositive();
        assertThat(MemberJournal.files(dir)).as("the open minute is not in PostgreSQL yet").hasSize(filesBefore - swept).isNotEmpty();
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(keeper.sweep()).as("written, and two days past every window").isPositive();
        assertThat(MemberJournal.files(dir)).isEmpty();
        assertThat(keeper.retire(Duration.ofSeconds(1))).isTrue();
        assertThat(Files.exists(dir)).as("no file left: nothing to keep").isFalse();
        assertThat(db.sqlLong("SELECT count(*) FROM journal_directory")).isZero();
    }

    /**
     * Issue 17.6: PostgreSQL goes back to an earlier state (a promoted standby that missed the last
     * commits) after the partitions moved: the slices of the batches it lost are in host-a's journal,
     * while host-b owns half the entries now. Every lost count comes back once, nothing else is added.
     */
    @Test
    void writesAPromotedStandbyLostComeBackFromEveryMembersJournalAfterThePartitionsMoved() {
        member("host-a", Clock.systemUTC());
        GridEventFeeder feeder = new GridEventFeeder(members.get(0));
        Instant now = Instant.now();
        List<GridEvent> onBoth = new ArrayList<>();
        List<GridEvent> onThePrimaryAlone = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long banner = 100 + i % 40; // a banner belongs to one campaign; someEvents uses banners 10 to 16
            // Two minutes in one batch: a slice journaled as two records (files kept until different minutes).
            Instant ts = (i / 40) % 2 == 0 ? now : now.minus(Duration.ofMinutes(1));
            (i < 80 ? onBoth : onThePrimaryAlone).add(feeder.impression(2 + banner % 5, banner, 100 + i % 3, ts));
        }
        feeder.apply(onBoth);
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        // What the standby will hold when it is promoted.
        String standbyCounters = "failover_counters_" + Math.abs(System.nanoTime());
        String standbyWatermarks = "failover_watermarks_" + Math.abs(System.nanoTime());
        db.sql("CREATE TABLE " + standbyCounters + " AS SELECT * FROM counter_minute");
        db.sql("CREATE TABLE " + standbyWatermarks + " AS SELECT * FROM flush_watermark");
        feeder.apply(onThePrimaryAlone);
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterTotals().impressions).isEqualTo(200);

        member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        io.adgrid.grid.testing.Wait.until("partitions migrated", Duration.ofSeconds(60),
                () -> members.get(0).getPartitionService().isClusterSafe() && members.get(1).getPartitionService().isClusterSafe());
        assertThat(members.get(1).getMap(GridMember.COUNTERS_MAP).localKeySet()).as("host-b owns entries").isNotEmpty();

        // The failover: the primary's last commits are gone.
        db.sql("TRUNCATE counter_minute, flush_watermark");
        db.sql("INSERT INTO counter_minute SELECT * FROM " + standbyCounters);
        db.sql("INSERT INTO flush_watermark SELECT * FROM " + standbyWatermarks);
        db.sql("DROP TABLE " + standbyCounters + ", " + standbyWatermarks);
        assertThat(db.counterTotals().impressions).isEqualTo(80);
        List<GridEvent> afterwards = someEvents(feeder, 50);
        for (long banner = 100; banner < 140; banner++) {
            afterwards.add(feeder.impression(2 + banner % 5, banner, 101, now));
        }
        feeder.apply(afterwards);

        WriteBehind writeBehind = new WriteBehind(members.get(1), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW);
        assertThatThrownBy(writeBehind::flushAll).as("no batch is written over the lost ones")
                .isInstanceOf(io.adgrid.persister.writebehind.LostWritesException.class);
        keepers.get(1).auditOwnEntries();
        keepers.get(0).auditOwnEntries();
        keepers.get(1).auditOwnEntries();
        writeBehind.flushAll();
        assertThat(db.counterTotals()).as("every event once, in total").isEqualTo(feeder.expectedTotal());
        assertThat(db.counterRows().asMap()).as("every event once").isEqualTo(feeder.expected().asMap());
    }

    /** The journal protocol's gate as the members publish it. */
    @Test
    void aMemberRefusesCountingBatchesUntilEveryDeadJournalIsReplayed() {
        GridEventFeeder feeder = feederOnTwoMembers();
        feeder.apply(someEvents(feeder, 200));

        killEveryMember();

        // Only host-a is back: host-b's journal of the dead life is awaited. A batch sent straight to
        // the members (as a gateway's re-send, which never asks the gateway's gate) must not count.
        member("host-a", Clock.systemUTC());
        GridEventFeeder retrying = new GridEventFeeder(members.get(0));
        List<GridEvent> retried = someEvents(retrying, 20);
        assertThatThrownBy(() -> retrying.apply(retried)).as("a counting batch while host-b's journal awaits replay")
                .hasStackTraceContaining("journals of a dead grid life await replay");

        member("host-b", Clock.systemUTC());
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        assertThat(gate(members.get(0))).isEmpty();
        io.adgrid.grid.testing.Wait.until("both members count again", Duration.ofSeconds(30),
                () -> keepers.stream().allMatch(JournalKeeper::counting));
        GridEventFeeder after = new GridEventFeeder(members.get(0));
        List<GridEvent> more = someEvents(after, 30);
        after.apply(more);
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        Counts total = db.counterTotals();
        assertThat(total.impressions).as("the dead life's 200 once, the refused batch never, the 30 after").isEqualTo(230);
    }

    @Test
    void aJournalThatNeverHeldARecordIsNeitherRegisteredNorAwaited() {
        member("host-a", Clock.systemUTC());
        assertThat(db.sqlLong("SELECT count(*) FROM journal_directory")).as("nothing journaled, nothing registered").isZero();

        TestGrid.terminate(members);
        members.clear();
        keepers.clear();

        member("host-b", Clock.systemUTC());
        assertThat(gate(members.get(0))).as("a new life waits for nothing").isEmpty();
    }

    @Test
    void aJournalRootOfAnotherDatabaseIsRefusedAndKept() throws Exception {
        Path other = root.resolve("host-a");
        Path theirs = other.resolve(java.util.UUID.randomUUID().toString());
        Files.createDirectories(theirs);
        Files.writeString(other.resolve(MemberJournal.DATABASE_FILE), "adgrid database 00000000-0000-0000-0000-000000000001 (elsewhere)");
        Files.writeString(theirs.resolve("1.log"), "records of another database");

        MemberJournal journal = new MemberJournal(other, WINDOW);
        HazelcastInstance member = GridMember.start(settings, journal);
        members.add(member);
        assertThatThrownBy(() -> new JournalKeeper(journal, member, db.dataSource(), Clock.systemUTC()).start())
                .isInstanceOf(JournalKeeper.JournalRootRefusedException.class)
                .hasMessageContaining("ADGRID_JOURNAL_DIR").hasMessageContaining("00000000-0000-0000-0000-000000000001 (elsewhere)");
        assertThat(theirs.resolve("1.log")).as("another database's journal is never deleted").exists();
        assertThat(db.sqlLong("SELECT count(*) FROM journal_directory")).isZero();
    }

    @Test
    void aGracefullyStoppedJournalIsKeptForItsIdentitiesAndRestoredByTheNextLife() {
        JournalKeeper keeper = member("host-a", Clock.systemUTC());
        GridEventFeeder feeder = new GridEventFeeder(members.get(0));
        List<GridEvent> events = someEvents(feeder, 100);
        feeder.apply(events);
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();

        assertThat(keeper.retire(Duration.ofSeconds(10))).as("every count in PostgreSQL").isTrue();
        keepers.clear();
        TestGrid.terminate(members);
        members.clear();
        assertThat(db.sqlLong("SELECT count(*) FROM journal_directory WHERE stopped_at IS NOT NULL AND counts_in_postgres"))
                .as("kept, registered, noted as stopped with its counts written").isEqualTo(1);

        JournalKeeper next = member("host-a", Clock.systemUTC());
        assertThat(next.recoveries()).hasSize(1);
        assertThat(next.recoveries().get(0).slicesAddedToPostgres()).as("only identities: the counts were written").isZero();
        Map<Long, long[]> answers = new GridEventFeeder(members.get(0)).replay(events);
        assertThat(answers.values().stream().mapToLong(bits -> java.util.BitSet.valueOf(bits).cardinality()).sum())
                .as("every event sent again after the restart is a duplicate").isEqualTo(events.size());
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).isEqualTo(feeder.expected().asMap());
    }
}
