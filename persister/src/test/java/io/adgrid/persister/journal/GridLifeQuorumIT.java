package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, seed 2: a member started again that could not reach the living grid formed a cluster of
 * its own and declared a new grid life; once the two clusters merged, each side waited for the
 * other's live journal directory as one of a dead life, and the grid never counted again. A grid
 * life is now declared only by a member that sees {@code minMembers} data members (the split-brain
 * majority): a lone member waits, and joins the living grid's life once it reaches it.
 */
class GridLifeQuorumIT {

    private static final int WINDOW = 17;
    private static TestDatabase db;
    private static String mergeDelay;

    @TempDir
    Path root;

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<JournalKeeper> keepers = new ArrayList<>();

    @BeforeAll
    static void database() {
        db = TestDatabase.start();
        // Two clusters that should be one find each other after this many seconds (GridMember reads it).
        mergeDelay = System.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        System.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
        System.clearProperty("hazelcast.merge.next.run.delay.seconds");
        if (mergeDelay == null) {
            System.clearProperty("hazelcast.merge.first.run.delay.seconds");
        } else {
            System.setProperty("hazelcast.merge.first.run.delay.seconds", mergeDelay);
        }
    }

    @AfterEach
    void stop() {
        keepers.forEach(JournalKeeper::close);
        TestGrid.terminate(members);
    }

    @Test
    void aMemberThatStartsAloneJoinsTheLivingGridsLifeInsteadOfDeclaringItsOwn() throws Exception {
        db.truncateJournals();
        int base = TestGrid.freePortBase();
        GridSettings cluster = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), base).withMinMembers(2);
        // Two members of a living grid, journaling (so their directories are registered).
        MemberJournal journalA = new MemberJournal(root.resolve("host-a"), WINDOW);
        MemberJournal journalB = new MemberJournal(root.resolve("host-b"), WINDOW);
        members.add(GridMember.start(cluster, journalA));
        members.add(GridMember.start(cluster, journalB));
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        keepers.add(new JournalKeeper(journalA, members.get(0), db.dataSource(), Clock.systemUTC(), 2).start());
        keepers.add(new JournalKeeper(journalB, members.get(1), db.dataSource(), Clock.systemUTC(), 2).start());
        Wait.until("the living grid counts", Duration.ofSeconds(60), () -> keepers.stream().allMatch(JournalKeeper::counting));
        GridEventFeeder feeder = new GridEventFeeder(members.get(0));
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            events.add(feeder.impression(1, 10 + i % 7, 100, Instant.now()));
        }
        feeder.apply(events);

        // A third member started again that reaches nobody (its join list names only itself): a cluster of its own.
        // Its grid's own protection is off (a list of one cannot hold a majority of two); its keeper waits for two.
        GridSettings alone = new GridSettings(cluster.clusterName(), List.of("127.0.0.1:" + (base + 2)), base + 2, false,
                cluster.partitionCount(), cluster.backupCount(), null, 1);
        MemberJournal journalC = new MemberJournal(root.resolve("host-c"), WINDOW);
        HazelcastInstance c = GridMember.start(alone, journalC);
        members.add(c);
        // Its start returns at once (the process must start); it waits for a majority in the background.
        CompletableFuture<JournalKeeper> keeperC = CompletableFuture.supplyAsync(
                () -> new JournalKeeper(journalC, c, db.dataSource(), Clock.systemUTC(), 2).start());

        // The living grid's master finds it (its join list names it) and the lone member merges in.
        Wait.until("the lone member merged into the living grid", Duration.ofSeconds(120),
                () -> members.get(0).getCluster().getMembers().size() == 3 && c.getCluster().getMembers().size() == 3);
        JournalKeeper third = keeperC.get(120, TimeUnit.SECONDS);
        keepers.add(third);
        Wait.until("the third member joined a life", Duration.ofSeconds(60), () -> third.life() != null);

        Wait.until("every member counts (no live directory awaited as a dead life's)", Duration.ofSeconds(60),
                () -> keepers.stream().allMatch(JournalKeeper::counting) && third.awaiting().isEmpty()
                        && keepers.get(0).awaiting().isEmpty());
        assertThat(third.life()).as("the grid's life, not one of its own").isEqualTo(keepers.get(0).life());
        // Counted again (apply fails on a refusal or a duplicate).
        feeder.apply(List.of(feeder.impression(1, 10, 100, Instant.now())));
    }
}
