package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.hazelcast.PartitionBatchCall;
import io.adgrid.grid.hazelcast.PartitionMarks;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.Test;

/** Copies of lost partitions within a grid life: stale, unmarked or loaded, never counted on twice ({@link LostPartitionFixture}). */
class LostPartitionCopiesIT extends LostPartitionFixture {

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
}
