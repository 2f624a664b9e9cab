package io.adgrid.persister.writebehind;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Timestamp;
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
import io.adgrid.persister.journal.JournalKeeper;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * flush_watermark is pruned of the rows nobody can ask about (issue 20), and only of those: a grid
 * killed whole keeps its rows while its journals wait for replay, so the replay still adds each
 * count once; once replayed they go; the living grid's rows stay however old.
 */
class WatermarkPrunerIT {

    private static final int PORT_BASE = TestPorts.of(9310);
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
        if (db != null) {
            db.close();
        }
    }

    @AfterEach
    void stop() {
        keepers.forEach(JournalKeeper::close);
        TestGrid.terminate(members);
    }

    @Test
    void rowsOfAGoneGridArePrunedOnlyOnceItsJournalsAreReplayedAndTheReplayStaysExact() throws Exception {
        settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), PORT_BASE);
        // Rows of grids long gone whose journals were replayed long ago: what issue 20 saw pile up.
        for (int i = 0; i < 50; i++) {
            db.sql("INSERT INTO flush_watermark (epoch, last_seq, cut_minute, full_seq, updated_at) VALUES (?, 3, ?, 3, ?)",
                    UUID.randomUUID(), Long.MAX_VALUE, Timestamp.from(Instant.parse("2026-01-01T00:00:00Z")));
        }
        // A grid of two journaled members: counts written (their watermarks), then more only in memory.
        member("host-a");
        member("host-b");
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        GridEventFeeder feeder = new GridEventFeeder(members.get(0));
        feeder.apply(someEvents(feeder, 300));
        new WriteBehind(members.get(0), new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        feeder.apply(someEvents(feeder, 200));
        long firstLifeRows = db.sqlLong("SELECT count(*) FROM flush_watermark") - 50;
        assertThat(firstLifeRows).as("the first grid's entries wrote watermarks").isPositive();
        assertThat(db.counterTotals().impressions).isEqualTo(300);

        // Every member killed; a new grid starts elsewhere while the dead one's journals wait.
        killEveryMember();
        HazelcastInstance other = member("host-c");
        assertThat(other.<String, String>getMap(RecoveryGate.MAP).get(RecoveryGate.AWAITING)).contains("host-a").contains("host-b");
        WatermarkPruner pruner = new WatermarkPruner(other, db.dataSource(), Duration.ZERO);

        WatermarkPruner.Result whileAwaited = runOnceSafe(pruner);

        assertThat(whileAwaited.deleted()).as("only the long-gone rows: the dead grid's journals may still ask for theirs").isEqualTo(50);
        assertThat(db.sqlLong("SELECT count(*) FROM flush_watermark")).isEqualTo(firstLifeRows);

        // Its members come back and replay their journals: what PostgreSQL held is not added again.
        member("host-a");
        member("host-b");
        TestGrid.awaitClusterSize(members.get(0), 3, Duration.ofSeconds(60));
        // The gate is published by every keeper each second: one may still write the reading it took before the replay.
        io.adgrid.grid.testing.Wait.until("every journal replayed", Duration.ofSeconds(60),
                () -> "".equals(other.<String, String>getMap(RecoveryGate.MAP).get(RecoveryGate.AWAITING)));
        assertThat(db.counterRows().asMap()).as("PostgreSQL after the replay: every event once").isEqualTo(feeder.expected().asMap());

        // The new grid counts and writes; its rows are made to look old, as an idle entry's would.
        GridEventFeeder newFeeder = new GridEventFeeder(other);
        newFeeder.apply(someEvents(newFeeder, 100));
        new WriteBehind(other, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        long rows = db.sqlLong("SELECT count(*) FROM flush_watermark");
        long liveRows = rows - firstLifeRows;
        assertThat(liveRows).as("the new grid's entries wrote watermarks").isPositive();
        db.sql("UPDATE flush_watermark SET updated_at = '2026-01-01T00:00:00Z'");

        WatermarkPruner.Result afterReplay = runOnceSafe(pruner);

        assertThat(afterReplay.deleted()).as("the replayed grid's rows").isEqualTo(firstLifeRows);
        assertThat(afterReplay.live()).as("the living grid's rows, however old").isEqualTo(liveRows);
        assertThat(db.sqlLong("SELECT count(*) FROM flush_watermark")).isEqualTo(liveRows);

        // The living grid writes on after the pruning: each count once.
        newFeeder.apply(someEvents(newFeeder, 50));
        new WriteBehind(other, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW).flushAll();
        assertThat(db.counterTotals()).as("every event once, in PostgreSQL")
                .isEqualTo(feeder.expectedTotal().copy().add(newFeeder.expectedTotal()));
        System.out.printf("watermark prune: %d long-gone rows pruned while the dead grid's %d waited; %d pruned after its replay;"
                + " %d of the living grid kept%n", whileAwaited.deleted(), firstLifeRows, afterReplay.deleted(), afterReplay.live());
    }

    /** A run that was not skipped (it is while partitions migrate, e.g. right after members joined). */
    private static WatermarkPruner.Result runOnceSafe(WatermarkPruner pruner) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            WatermarkPruner.Result r = pruner.run();
            if (r.ran() || System.nanoTime() > deadline) {
                assertThat(r.ran()).as("the pruner ran within 60 s (the cluster was safe)").isTrue();
                return r;
            }
            Thread.sleep(200);
        }
    }

    /** A data member journaling under {@code root/host}, with its keeper started (as the app does). */
    private HazelcastInstance member(String host) {
        MemberJournal journal = new MemberJournal(root.resolve(host), WINDOW);
        HazelcastInstance member = GridMember.start(settings, journal);
        members.add(member);
        keepers.add(new JournalKeeper(journal, member, db.dataSource(), Clock.systemUTC()).start());
        return member;
    }

    /** kill -9 of every member: no flush, no goodbye; the journals stay as the dead processes left them. */
    private void killEveryMember() {
        keepers.forEach(JournalKeeper::close);
        keepers.clear();
        TestGrid.terminate(members);
        members.clear();
    }

    private static List<GridEvent> someEvents(GridEventFeeder feeder, int n) {
        Instant now = Instant.now();
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GridEvent impression = feeder.impression(1, 10 + i % 7, 100 + i % 3, now);
            events.add(impression);
            if (i % 4 == 0) {
                events.add(feeder.clickOf(impression));
            }
        }
        return events;
    }
}
