package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.hazelcast.PartitionBatchCall;
import io.adgrid.grid.hazelcast.PartitionMarks;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
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
 * Issue 17.5 on in-process members and a real PostgreSQL: four journaled members, each on its own
 * journal root; two crash together, so the partitions both held are lost. Those refuse counting
 * batches (the others keep counting) until the two restart on their roots and replay their journals
 * for the lost partitions; then every count is in PostgreSQL once and every identity is known again.
 */
class LostPartitionRecoveryIT {

    private static final int PORT_BASE = TestPorts.of(9160);
    private static final int WINDOW = 17;

    private static TestDatabase db;

    @TempDir
    Path root;

    private GridSettings settings;
    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<JournalKeeper> keepers = new ArrayList<>();
    private final List<MemberJournal> journals = new ArrayList<>();

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
        settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), PORT_BASE, 4);
    }

    @AfterEach
    void stop() {
        keepers.forEach(JournalKeeper::close);
        TestGrid.terminate(members);
        TestGrid.defaultMergeSearch();
    }

    private void member(String host) {
        member(host, Clock.systemUTC());
    }

    private void member(String host, Clock clock) {
        MemberJournal journal = new MemberJournal(root.resolve(host), WINDOW);
        journals.add(journal);
        HazelcastInstance member = GridMember.start(settings, journal);
        members.add(member);
        keepers.add(new JournalKeeper(journal, member, db.dataSource(), clock, DataMembersAtLeast.of(settings)).start());
    }

    /**
     * Waits until each member's split-brain protection sees its majority: Hazelcast updates it at
     * membership events, after the member list, and refuses counting batches until then.
     */
    private static void awaitMajority(List<HazelcastInstance> on) {
        Wait.until("the split-brain protection of every member has its majority", Duration.ofSeconds(60), () -> on.stream()
                .allMatch(m -> m.getSplitBrainProtectionService().getSplitBrainProtection(GridMember.MAJORITY).hasMinimumSize()));
    }

    /** kill -9 of two members at once: no flush, no goodbye, their journals left as they were. */
    private void crashTogether(int first, int second) throws InterruptedException {
        keepers.get(first).close();
        keepers.get(second).close();
        // Both at once: one after the other, the cluster would copy the first one's partitions anew in between.
        List<Thread> kills = new ArrayList<>();
        for (int i : new int[] {first, second}) {
            kills.add(new Thread(() -> members.get(i).getLifecycleService().terminate()));
        }
        kills.forEach(Thread::start);
        for (Thread t : kills) {
            t.join();
        }
    }

    private static List<GridEvent> events(GridEventFeeder feeder, int banners, Instant now) {
        List<GridEvent> events = new ArrayList<>();
        for (int b = 1; b <= banners; b++) {
            GridEvent impression = feeder.impression(1 + (b - 1) % 10, b, 100 + b % 3, now);
            events.add(impression);
            if (b % 3 == 0) {
                events.add(feeder.clickOf(impression));
            }
        }
        for (int c = 1; c <= 10; c++) {
            events.add(feeder.sale(c, c, 100, now, 2_500_000));
        }
        return events;
    }

    @Test
    void partitionsLostWithOwnerAndBackupCountAgainOnlyOnceTheDeadJournalsAreReplayed() throws Exception {
        for (String host : List.of("host-a", "host-b", "host-c", "host-d")) {
            member(host);
        }
        TestGrid.awaitClusterSize(members.get(3), 4, Duration.ofSeconds(120));
        HazelcastInstance survivor = members.get(3);
        GridEventFeeder feeder = new GridEventFeeder(survivor);
        List<GridEvent> sent = new ArrayList<>();
        List<GridEvent> written = events(feeder, 200, Instant.now());
        feeder.apply(written);
        sent.addAll(written);
        // Part in PostgreSQL before the crash (the replay must skip it by the watermarks), part only in memory.
        new WriteBehind(survivor, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        List<GridEvent> inMemory = events(feeder, 200, Instant.now());
        feeder.apply(inMemory);
        sent.addAll(inMemory);

        crashTogether(0, 1);
        PartitionMarks marks = new PartitionMarks(survivor);
        Wait.until("the partitions host-a and host-b held together are empty", Duration.ofSeconds(60),
                () -> !marks.unmarked().isEmpty());
        Set<Integer> lost = marks.unmarked();
        PartitionBatchCall call = new PartitionBatchCall(survivor);
        List<GridEvent> onLost = sent.stream().filter(e -> lost.contains(call.partitionOf(e.routeKey()))).toList();
        assertThat(onLost).as("events sent to the lost partitions").isNotEmpty();

        GridEventFeeder retrying = new GridEventFeeder(survivor);
        List<GridEvent> fresh = events(retrying, 200, Instant.now());
        List<GridEvent> freshOnLost = fresh.stream().filter(e -> lost.contains(call.partitionOf(e.routeKey()))).toList();
        assertThatThrownBy(() -> retrying.apply(freshOnLost)).as("a counting batch on a lost partition")
                .hasStackTraceContaining("lost its owner and backup together");
        List<GridEvent> freshElsewhere = fresh.stream().filter(e -> !lost.contains(call.partitionOf(e.routeKey()))
                && e.type() != io.adgrid.event.EventType.CLICK).toList();
        feeder.apply(freshElsewhere);

        member("host-a");
        member("host-b");
        TestGrid.awaitClusterSize(survivor, 4, Duration.ofSeconds(120));
        Wait.until("the lost partitions replayed and marked again", Duration.ofSeconds(120), () -> marks.unmarked().isEmpty());

        assertThat(feeder.duplicatesOnReplay(sent)).as("every event sent before the crash, sent again, is a duplicate")
                .isEqualTo(sent.size());
        new WriteBehind(survivor, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 23: a loss is recorded over every partition (as when a side that lost the majority
     * gave up its marks) while one member is dead; the four living ones replay their journals into the
     * partitions' new copies and are crossed off. Then the two members that hold both copies of some
     * partitions crash: those copies, and the identities replayed into them, are gone, though no
     * partition is newly unmarked. The record must start over, waiting for every registered journal
     * again, rather than mark every partition once the first dead member is back.
     */
    @Test
    void aRecordWhosePartitionsLoseTheirReplayedCopiesWaitsForEveryJournalAgain() throws Exception {
        settings = TestGrid.settings(settings.clusterName(), PORT_BASE, 5).withMinMembers(3);
        List<String> hosts = List.of("host-a", "host-b", "host-c", "host-d", "host-e");
        hosts.forEach(this::member);
        TestGrid.awaitClusterSize(members.get(4), 5, Duration.ofSeconds(120));
        awaitMajority(members);
        GridEventFeeder feeder = new GridEventFeeder(members.get(4));
        List<GridEvent> sent = new ArrayList<>(events(feeder, 200, Instant.now()));
        feeder.apply(sent);
        new WriteBehind(members.get(4), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        keepers.get(0).close();
        members.get(0).getLifecycleService().terminate();
        TestGrid.awaitClusterSize(members.get(4), 4, Duration.ofSeconds(60));
        Wait.until("every partition with its backup again", Duration.ofSeconds(60), () -> members.get(4).getPartitionService().isClusterSafe());
        awaitMajority(members.subList(1, 5));
        List<GridEvent> journaledByTheFour = events(feeder, 200, Instant.now());
        feeder.apply(journaledByTheFour);
        sent.addAll(journaledByTheFour);

        // The two living members that hold both copies of the most partitions; one of the other two looks on.
        int[] pair = pairHoldingMostPartitionsTogether(List.of(1, 2, 3, 4));
        int onlooker = java.util.stream.IntStream.of(1, 2, 3, 4).filter(i -> i != pair[0] && i != pair[1]).findFirst().orElseThrow();
        HazelcastInstance survivor = members.get(onlooker);
        survivor.getMap(PartitionMarks.MAP).clear();
        Set<String> deadJournal = Set.of(journals.get(0).id());
        Wait.until("a loss of every partition recorded, the four living journals replayed and crossed off",
                Duration.ofSeconds(120), () -> {
                    LostPartitionRecovery.Loss loss = LostPartitionRecovery.Loss.decode(
                            (String) survivor.getMap(RecoveryGate.MAP).get(LostPartitionRecovery.KEY));
                    return loss.partitions().size() == settings.partitionCount() && loss.awaiting().equals(deadJournal);
                });

        crashTogether(pair[0], pair[1]);
        member(hosts.get(0));
        member(hosts.get(pair[0]));
        member(hosts.get(pair[1]));
        TestGrid.awaitClusterSize(survivor, 5, Duration.ofSeconds(120));
        PartitionMarks marks = new PartitionMarks(survivor);
        Wait.until("every partition replayed and marked again", Duration.ofSeconds(180), () -> marks.unmarked().isEmpty());

        feeder.sendThrough(survivor);
        assertThat(feeder.duplicatesOnReplay(sent)).as("every event sent before the crashes, sent again, is a duplicate")
                .isEqualTo(sent.size());
        new WriteBehind(survivor, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 31: a member's reading of the marks took 60 s (a slow {@code getAll}) and came back
     * as it was before another member marked every partition of a finished recovery. Taken for lost,
     * the partitions' live entries were dropped; a moment later they were found marked and left out of
     * the recovery, so nothing was replayed into them: re-sent events counted again, clean clicks as
     * suspect. A partition marked when the drop reaches it keeps its entries.
     */
    @Test
    void aStaleReadingOfTheMarksDropsNoEntryOfAMarkedPartition() throws Exception {
        for (String host : List.of("host-a", "host-b")) {
            member(host);
        }
        HazelcastInstance grid = members.get(0);
        TestGrid.awaitClusterSize(grid, 2, Duration.ofSeconds(120));
        GridEventFeeder feeder = new GridEventFeeder(grid);
        List<GridEvent> sent = events(feeder, 200, Instant.now());
        feeder.apply(sent);

        // A second recovery on host-b whose reading answers "every partition unmarked", as the stale one did.
        LostPartitionRecovery stale = new LostPartitionRecovery(keepers.get(1), journals.get(1), members.get(1), db.dataSource(),
                Clock.systemUTC());
        Set<Integer> every = new java.util.TreeSet<>();
        for (int p = 0; p < settings.partitionCount(); p++) {
            every.add(p);
        }
        stale.unmarkedReading = () -> every;
        String life = keepers.get(1).life().toString();
        stale.reconcile(life);
        stale.reconcile(life);

        assertThat(new PartitionMarks(grid).unmarked()).as("every partition still marked").isEmpty();
        assertThat(feeder.duplicatesOnReplay(sent)).as("every event sent again is a duplicate").isEqualTo(sent.size());
        new WriteBehind(grid, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /** Of the members at {@code candidates}, the two that hold owner and backup of the most partitions together. */
    private int[] pairHoldingMostPartitionsTogether(List<Integer> candidates) {
        com.hazelcast.internal.partition.InternalPartitionService partitions =
                ((com.hazelcast.instance.impl.HazelcastInstanceProxy) members.get(candidates.get(0))).getOriginal().node.getPartitionService();
        Map<Set<java.util.UUID>, Integer> together = new java.util.HashMap<>();
        for (int p = 0; p < settings.partitionCount(); p++) {
            com.hazelcast.internal.partition.InternalPartition partition = partitions.getPartition(p);
            together.merge(Set.of(partition.getReplica(0).uuid(), partition.getReplica(1).uuid()), 1, Integer::sum);
        }
        int[] best = null;
        int most = 0;
        for (int i : candidates) {
            for (int j : candidates) {
                java.util.UUID a = members.get(i).getCluster().getLocalMember().getUuid();
                java.util.UUID b = members.get(j).getCluster().getLocalMember().getUuid();
                int n = i < j ? together.getOrDefault(Set.of(a, b), 0) : 0;
                if (n > most) {
                    most = n;
                    best = new int[] {i, j};
                }
            }
        }
        assertThat(best).as("two members holding both copies of a partition").isNotNull();
        return best;
    }

    /**
     * Issue 18, seed 21: the members that record a loss have clocks 220 s ahead (libfaketime on the faulty
     * run); the members that hold the dead journals do not. The loss was stamped on the recorder's clock,
     * and the others held their replays back for its grace plus the skew.
     */
    @Test
    void aLossRecordedByMembersWhoseClocksRunAheadIsReplayedWithoutWaitingForThem() throws Exception {
        Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(220));
        member("host-a");
        member("host-b");
        member("host-c", ahead);
        member("host-d", ahead);
        TestGrid.awaitClusterSize(members.get(3), 4, Duration.ofSeconds(120));
        HazelcastInstance survivor = members.get(3);
        GridEventFeeder feeder = new GridEventFeeder(survivor);
        List<GridEvent> sent = events(feeder, 200, Instant.now());
        feeder.apply(sent);

        crashTogether(0, 1);
        PartitionMarks marks = new PartitionMarks(survivor);
        Wait.until("the partitions host-a and host-b held together are empty", Duration.ofSeconds(60),
                () -> !marks.unmarked().isEmpty());
        member("host-a");
        member("host-b");
        // Well under the skew: the grace is 5 s.
        Wait.until("the lost partitions replayed and marked again", Duration.ofSeconds(90), () -> marks.unmarked().isEmpty());
        new WriteBehind(survivor, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 23 (on 1025044): a member joined the grid's life while the grid still held copies of
     * partitions without their mark (the stale side of a split had been merged into, and the other side
     * had replayed those partitions' journals into PostgreSQL). Its journal was open, so the write-behind's
     * seal, retried until then, ran on the partitions it owned, but its keeper had not yet made it enforce
     * the marks: the seal was not withheld, and the copies' batches were written over the replay (banners
     * 48, 81 and 2 counted twice, live, after the flush and in SQL).
     */
    @Test
    void aMemberJoiningTheLifeWithholdsTheSealOfAnUnmarkedCopyFromItsFirstOperation() throws Exception {
        settings = TestGrid.settings(settings.clusterName(), PORT_BASE, 2);
        member("host-a");
        HazelcastInstance a = members.get(0);
        Wait.until("host-a counting", Duration.ofSeconds(60), keepers.get(0)::counting);
        GridEventFeeder feeder = new GridEventFeeder(a);
        feeder.apply(events(feeder, 60, Instant.now()));
        // What the other side's recovery did: every journaled count into PostgreSQL, once.
        keepers.get(0).replay(java.util.UUID.fromString(journals.get(0).id()), journals.get(0).directory(), slice -> true);
        assertThat(db.counterRows().asMap()).as("PostgreSQL after the replay").isEqualTo(feeder.expected().asMap());

        // host-b joins the cluster before its keeper joins the life, and takes partitions with their entries.
        MemberJournal journalB = new MemberJournal(root.resolve("host-b"), WINDOW);
        journals.add(journalB);
        HazelcastInstance b = GridMember.start(settings, journalB);
        members.add(b);
        com.hazelcast.map.IMap<Long, ?> countersB = b.getMap(GridMember.COUNTERS_MAP);
        Wait.until("host-b owns entries, every partition's copies in place", Duration.ofSeconds(120),
                () -> !countersB.localKeySet().isEmpty() && a.getPartitionService().isClusterSafe());
        JournalKeeper keeperB = new JournalKeeper(journalB, b, db.dataSource(), Clock.systemUTC(), DataMembersAtLeast.of(settings));
        keepers.add(keeperB);
        keeperB.journalOpened = () -> {
            // Unmarked only now: host-a's recovery, which reads the marks twice a round apart, cannot drop the entries first.
            new PartitionMarks(a).removeAll();
            new WriteBehind(b, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushOwnEntries();
        };
        keeperB.start();

        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 5: a side without the majority cannot tell a lost partition from one whose replicas
     * live on the other side of a split, so it must not replay journals for it (into PostgreSQL, while
     * the other side may still hold and later write those counts). Here two of four members (majority
     * three) crash: the two left wait; once the two are back the partitions are replayed, every count once.
     */
    @Test
    void aSideWithoutTheMajorityReplaysNothingAndTheLossIsRecoveredOnceItIsBack() throws Exception {
        settings = settings.withMinMembers(3);
        for (String host : List.of("host-a", "host-b", "host-c", "host-d")) {
            member(host);
        }
        TestGrid.awaitClusterSize(members.get(3), 4, Duration.ofSeconds(120));
        awaitMajority(members);
        HazelcastInstance survivor = members.get(3);
        GridEventFeeder feeder = new GridEventFeeder(survivor);
        feeder.apply(events(feeder, 200, Instant.now()));
        new WriteBehind(survivor, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        feeder.apply(events(feeder, 200, Instant.now()));
        Map<?, ?> flushed = db.counterRows().asMap();

        crashTogether(0, 1);
        PartitionMarks marks = new PartitionMarks(survivor);
        Wait.until("the partitions host-a and host-b held together are empty", Duration.ofSeconds(60),
                () -> !marks.unmarked().isEmpty());
        // Longer than two recovery rounds and the replay's grace: time enough for a wrong replay to start.
        Thread.sleep(LostPartitionRecovery.GRACE_MILLIS + 3_000);
        // Nor could one record it: the journal protocol refuses a side without the majority.
        assertThatThrownBy(() -> survivor.getMap(RecoveryGate.MAP).get(LostPartitionRecovery.KEY))
                .isInstanceOf(com.hazelcast.splitbrainprotection.SplitBrainProtectionException.class);
        assertThat(db.counterRows().asMap()).as("PostgreSQL untouched without the majority").isEqualTo(flushed);

        member("host-a");
        member("host-b");
        TestGrid.awaitClusterSize(survivor, 4, Duration.ofSeconds(120));
        Wait.until("the lost partitions replayed and marked again", Duration.ofSeconds(120), () -> marks.unmarked().isEmpty());
        new WriteBehind(survivor, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 4: a partition was recorded lost while a member still held an old copy of one of
     * its entries (from before a split; its counts long written by the line that went on). That copy
     * went on counting with its old epoch and sequence numbers, which PostgreSQL's watermark already
     * held from the other line, so the write-behind skipped its batches as written: the counts were
     * lost. Entries found in a partition when its loss is recorded are leftovers; the journals hold the
     * truth, so they are dropped before the replay.
     */
    @Test
    void aStaleCopyLeftInALostPartitionIsDroppedNotCountedOn() throws Exception {
        for (String host : List.of("host-a", "host-b")) {
            member(host);
        }
        TestGrid.awaitClusterSize(members.get(1), 2, Duration.ofSeconds(120));
        HazelcastInstance grid = members.get(0);
        GridEventFeeder feeder = new GridEventFeeder(grid);
        WriteBehind writeBehind = new WriteBehind(grid, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW);
        long banner = 7;
        long key = io.adgrid.grid.port.RouteKeys.banner(banner);
        com.hazelcast.map.IMap<Long, io.adgrid.grid.counters.RouteState> counters = grid.getMap(GridMember.COUNTERS_MAP);
        feeder.apply(List.of(feeder.impression(1, banner, 1, Instant.now())));
        writeBehind.flushAll();
        io.adgrid.grid.counters.RouteState stale = counters.get(key);
        for (int i = 0; i < 3; i++) {
            feeder.apply(List.of(feeder.impression(1, banner, 2, Instant.now())));
            writeBehind.flushAll();
        }

        // The old copy back in the grid, then its partition without its mark: as the seed-4 member held it.
        counters.set(key, stale);
        PartitionMarks marks = new PartitionMarks(grid);
        int partition = new PartitionBatchCall(grid).partitionOf(key);
        grid.getMap(PartitionMarks.MAP).delete(marks.keyOf(partition));
        // Its counts reach PostgreSQL by the replay: a flush cannot say everything accepted is there.
        assertThatThrownBy(writeBehind::flushAll).as("a flush while a partition is recovered").hasMessageContaining("recovered");
        Wait.until("the partition recorded lost, replayed and marked again", Duration.ofSeconds(120),
                () -> marks.unmarked().isEmpty());

        feeder.apply(List.of(feeder.impression(1, banner, 3, Instant.now()), feeder.impression(1, banner, 3, Instant.now())));
        writeBehind.flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 26: a member cut off alone (a pause) keeps its copies as they were; the others count
     * on and write. Then the other side empties (its members die) and, started again, they join the lone
     * member: its copies are the grid's again, marked, and they number their next batches as the other
     * line already had, so PostgreSQL's watermark takes them for written. A member that lost the majority
     * must not count on its copies again before the journals are replayed for them (seed 30 lost and
     * doubled counts the same way).
     */
    @Test
    void aLoneMemberThatLostTheMajorityCountsOnItsOldCopiesOnlyAfterTheJournalsAreReplayed() throws Exception {
        // No merge: the other side is gone before Hazelcast would look for it.
        TestGrid.mergeSearchFrom(600);
        settings = TestGrid.settings(settings.clusterName(), PORT_BASE, 3).withMinMembers(2);
        for (String host : List.of("host-a", "host-b", "host-c")) {
            member(host);
        }
        HazelcastInstance lone = members.get(0);
        TestGrid.awaitClusterSize(lone, 3, Duration.ofSeconds(120));
        awaitMajority(members);
        GridEventFeeder feeder = new GridEventFeeder(members.get(1));
        WriteBehind majoritySide = new WriteBehind(members.get(1), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW);
        feeder.apply(events(feeder, 60, Instant.now()));
        majoritySide.flushAll();
        feeder.apply(events(feeder, 60, Instant.now()));

        TestGrid.cutOff(lone, List.of(members.get(1), members.get(2)), Duration.ofSeconds(60));
        awaitMajority(members.subList(1, 3));
        // The other line goes on: written (batches the lone copies will number alike), then only journaled.
        feeder.apply(events(feeder, 60, Instant.now()));
        majoritySide.flushAll();
        feeder.apply(events(feeder, 60, Instant.now()));
        crashTogether(1, 2);
        member("host-b");
        member("host-c");
        TestGrid.awaitClusterSize(lone, 3, Duration.ofSeconds(120));

        PartitionMarks marks = new PartitionMarks(lone);
        Wait.until("every partition counting", Duration.ofSeconds(120), () -> marks.unmarked().isEmpty()
                && keepers.stream().skip(3).allMatch(JournalKeeper::counting));
        feeder.sendThrough(lone);
        feeder.apply(events(feeder, 60, Instant.now()));
        new WriteBehind(lone, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /**
     * Issue 18, seed 34: each round of a lost-partition recovery journaled again every identity it
     * loaded into the new copies, on the owner and the backup, and the next round loaded those too, so
     * the journals grew about threefold a round until their disks were full. Within one life the
     * journals replayed stay registered and on disk for as long as their identities matter, so a
     * recovery of the same life journals nothing it loads; identities still outlive the next loss and
     * the death of the whole grid.
     */
    @Test
    void recoveriesWithinALifeDoNotJournalTheIdentitiesTheyLoadAgain() throws Exception {
        settings = TestGrid.settings(settings.clusterName(), PORT_BASE, 3).withMinMembers(2);
        for (String host : List.of("host-a", "host-b", "host-c")) {
            member(host);
        }
        TestGrid.awaitClusterSize(members.get(2), 3, Duration.ofSeconds(120));
        awaitMajority(members);
        HazelcastInstance first = members.get(0);
        GridEventFeeder feeder = new GridEventFeeder(first);
        List<GridEvent> sent = events(feeder, 300, Instant.now());
        feeder.apply(sent);
        long[] journaled = journaledEvents();
        PartitionMarks marks = new PartitionMarks(first);
        for (int round = 1; round <= 3; round++) {
            // What a side that lost its majority does: every partition is recovered from the journals.
            marks.removeAll();
            Wait.until("round " + round + ": every partition replayed and marked again", Duration.ofSeconds(120),
                    () -> marks.unmarked().isEmpty() && first.getMap(RecoveryGate.MAP).get(LostPartitionRecovery.KEY) == null);
        }
        assertThat(journaledEvents()).as("events journaled (counted, identities only) after three recoveries")
                .containsExactly(journaled);
        assertThat(feeder.duplicatesOnReplay(sent)).as("every event sent, sent again after the recoveries").isEqualTo(sent.size());

        // The whole grid dies: the next life loads the identities from the journals as they were.
        for (int i = 0; i < 3; i++) {
            keepers.get(i).close();
            members.get(i).getLifecycleService().terminate();
        }
        for (String host : List.of("host-a", "host-b", "host-c")) {
            member(host);
        }
        HazelcastInstance next = members.get(5);
        TestGrid.awaitClusterSize(next, 3, Duration.ofSeconds(120));
        awaitMajority(members.subList(3, 6));
        Wait.until("the dead life's journals replayed", Duration.ofSeconds(120),
                () -> keepers.subList(3, 6).stream().allMatch(k -> !k.recoveries().isEmpty()));
        GridEventFeeder again = new GridEventFeeder(next);
        assertThat(again.duplicatesOnReplay(sent)).as("every event sent, sent again in the next life").isEqualTo(sent.size());
        new WriteBehind(next, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
    }

    /** The events journaled under every member's root: counted, and loaded as identities only. */
    private long[] journaledEvents() throws IOException {
        long[] events = new long[2];
        try (Stream<Path> dirs = Files.list(root).flatMap(LostPartitionRecoveryIT::subdirectories)) {
            dirs.flatMap(dir -> MemberJournal.files(dir).stream()).flatMap(file -> MemberJournal.read(file).stream())
                    .forEach(slice -> events[slice.identitiesOnly() ? 1 : 0] += slice.events().size());
        }
        return events;
    }

    private static Stream<Path> subdirectories(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aLossRecordSurvivesItsEncoding() {
        LostPartitionRecovery.Loss loss = new LostPartitionRecovery.Loss(new java.util.TreeSet<>(Set.of(3, 17)),
                new java.util.TreeSet<>(Set.of("b", "a")), 42, new java.util.TreeSet<>(Set.of("m2", "m1")), 7);
        assertThat(LostPartitionRecovery.Loss.decode(loss.encode())).isEqualTo(loss);
        assertThat(LostPartitionRecovery.Loss.decode(null).isEmpty()).isTrue();
        assertThat(LostPartitionRecovery.Loss.decode(loss.without("a").encode()).awaiting()).containsExactly("b");
        assertThat(loss.gone(Set.of("m1", "m3"))).containsExactly("m2");
        // Written by a version before members and generations (a rolling upgrade).
        assertThat(LostPartitionRecovery.Loss.decode("3,17|a|42")).isEqualTo(new LostPartitionRecovery.Loss(
                new java.util.TreeSet<>(Set.of(3, 17)), new java.util.TreeSet<>(Set.of("a")), 42, Set.of(), 0));
    }
}
