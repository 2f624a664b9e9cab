package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, seed 21: a member that had just received some partitions (their counter entries and
 * marks) but not the protocol map's {@code life} entry was left with a fresh member when the others
 * died. It found no life, named a new one and replayed the old life's journals into PostgreSQL, while
 * the entries it held wrote the same counts again: counted twice. The grid still held that life's
 * counts, so the life goes on (unless PostgreSQL has ended it: then they are dropped, and the next
 * life replays their journals).
 */
class SurvivingEntriesLifeIT {

    private static final int WINDOW = 17;

    private static TestDatabase db;

    @TempDir
    Path root;

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<JournalKeeper> keepers = new ArrayList<>();
    private final List<GridEvent> sent = new ArrayList<>();
    private GridEventFeeder feeder;

    @BeforeAll
    static void database() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @AfterEach
    void stop() {
        keepers.forEach(JournalKeeper::close);
        TestGrid.terminate(members);
    }

    @Test
    void entriesThatOutliveTheirLifeEntryKeepTheirLifeAndAreCountedOnce() throws Exception {
        HazelcastInstance c = leftWithEntriesButNoLifeEntry();
        UUID first = keepers.get(0).life();

        JournalKeeper keeperC = keeperOf(c);
        assertThat(keeperC.life()).as("the life whose counts the grid holds").isEqualTo(first);
        assertCountedOnceAndKnown(c);
    }

    @Test
    void entriesOfALifePostgresEndedAreDroppedAndTheNextLifeReplaysTheirJournals() throws Exception {
        HazelcastInstance c = leftWithEntriesButNoLifeEntry();
        UUID first = keepers.get(0).life();
        db.sql("UPDATE grid_life SET ended_at = now(), ended_by = gen_random_uuid() WHERE id = ?", first);

        JournalKeeper keeperC = keeperOf(c);
        assertThat(keeperC.life()).as("a new life: PostgreSQL refuses the ended one's writes").isNotEqualTo(first);
        assertCountedOnceAndKnown(c);
    }

    /**
     * Issue 18, seed 23: the same member, but every partition mark removed (as a side without the majority
     * does). Without a mark nothing says which life the entries belong to: they are
     * leftovers, dropped, and the next life replays their journals. Marked by the new life, they had
     * written the counts the replay wrote too.
     */
    @Test
    void entriesWithoutMarksAreDroppedAndTheNextLifeReplaysTheirJournals() throws Exception {
        HazelcastInstance c = leftWithEntriesButNoLifeEntry();
        UUID first = keepers.get(0).life();
        c.getMap(io.adgrid.grid.hazelcast.PartitionMarks.MAP).clear();

        JournalKeeper keeperC = keeperOf(c);
        assertThat(keeperC.life()).as("a new life: no mark names the old one").isNotEqualTo(first);
        assertCountedOnceAndKnown(c);
    }

    private MemberJournal journalC;

    /**
     * A member with counts only in memory and its journal; a second member on the same journal root
     * takes copies of every entry and mark; then it is left alone without the life entry (on the
     * faulty run, that entry's partition had not reached it yet).
     */
    private HazelcastInstance leftWithEntriesButNoLifeEntry() {
        db.truncateCounters();
        db.truncateJournals();
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase());
        MemberJournal journalA = new MemberJournal(root, WINDOW);
        HazelcastInstance a = GridMember.start(settings, journalA);
        members.add(a);
        JournalKeeper keeperA = new JournalKeeper(journalA, a, db.dataSource(), Clock.systemUTC()).start();
        keepers.add(keeperA);
        Wait.until("the first life counts", Duration.ofSeconds(60), keeperA::counting);
        feeder = new GridEventFeeder(a);
        Instant now = Instant.now();
        for (int b = 1; b <= 60; b++) {
            GridEvent impression = feeder.impression(1 + (b - 1) % 10, b, 100, now);
            sent.add(impression);
            if (b % 4 == 0) {
                sent.add(feeder.clickOf(impression));
            }
        }
        feeder.apply(sent);

        journalC = new MemberJournal(root, WINDOW);
        HazelcastInstance c = GridMember.start(settings, journalC);
        members.add(c);
        TestGrid.awaitClusterSize(c, 2, Duration.ofSeconds(60));
        Wait.until("cluster safe", Duration.ofSeconds(60), () -> c.getPartitionService().isClusterSafe());
        keeperA.close();
        c.getMap(RecoveryGate.MAP).delete(RecoveryGate.LIFE);
        a.getLifecycleService().terminate();
        TestGrid.awaitClusterSize(c, 1, Duration.ofSeconds(60));
        Wait.until("cluster safe", Duration.ofSeconds(60), () -> c.getPartitionService().isClusterSafe());
        return c;
    }

    private JournalKeeper keeperOf(HazelcastInstance c) {
        JournalKeeper keeper = new JournalKeeper(journalC, c, db.dataSource(), Clock.systemUTC()).start();
        keepers.add(keeper);
        Wait.until("the member counts", Duration.ofSeconds(60), keeper::counting);
        return keeper;
    }

    private void assertCountedOnceAndKnown(HazelcastInstance c) {
        new WriteBehind(c, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterRows().asMap()).as("PostgreSQL: every count once").isEqualTo(feeder.expected().asMap());
        assertThat(new GridEventFeeder(c).duplicatesOnReplay(sent)).as("every event sent again is a duplicate").isEqualTo(sent.size());
    }
}
