package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.hazelcast.PartitionMarks;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.Test;

/** Lost partitions, the majority and the clocks: who may replay, and when ({@link LostPartitionFixture}). */
class LostPartitionMajorityIT extends LostPartitionFixture {

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
}
