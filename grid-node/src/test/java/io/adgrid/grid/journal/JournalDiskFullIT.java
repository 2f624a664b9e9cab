package io.adgrid.grid.journal;

import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.hazelcast.PartitionBatchCall;
import io.adgrid.grid.counters.TestEvents;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.GridTotals;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose journal disk is full (a small tmpfs filled up, as the fault runner's DISK_FULL does):
 * a batch is either counted and journaled, or refused and not counted, never counted and then
 * failed (which made its re-send a "duplicate" of itself). Needs root for the tmpfs; skipped without.
 */
class JournalDiskFullIT {

    private static final int BANNERS = 60;

    @TempDir
    Path root;

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<MemberJournal> journals = new ArrayList<>();
    private Path tmpfs;
    private PartitionBatchCall call;

    @BeforeEach
    void twoJournaledMembersOneOnASmallDisk() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a tmpfs");
        tmpfs = Files.createDirectories(root.resolve("small-disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", tmpfs.toString()) == 0, "mount -t tmpfs failed");
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase());
        UUID life = UUID.randomUUID();
        for (Path journalRoot : List.of(root.resolve("big-disk"), tmpfs)) {
            MemberJournal journal = new MemberJournal(journalRoot, 17);
            journal.open(life);
            journals.add(journal);
            members.add(GridMember.start(settings, journal));
        }
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        call = new PartitionBatchCall(members.get(0));
    }

    @AfterEach
    void stop() throws Exception {
        TestGrid.terminate(members);
        journals.forEach(MemberJournal::close);
        if (tmpfs != null) {
            run("umount", "-l", tmpfs.toString());
        }
    }

    @Test
    void aBatchIsCountedAndJournaledOrRefusedAndNotCountedWhileAJournalDiskIsFull() throws Exception {
        fill(tmpfs.resolve("ballast"));
        List<GridEvent> events = new ArrayList<>();
        for (int b = 1; b <= BANNERS; b++) {
            events.add(impression(1, b, 100, ts(BASE_MINUTE, b % 60), b));
        }

        List<GridEvent> refused = new ArrayList<>();
        int counted = sendEachAlone(events, 1, refused);

        assertThat(total()).as("a refused batch is not counted").isEqualTo(counted);
        assertThat(refused).as("the full member refuses the batches it owns").isNotEmpty();

        Files.delete(tmpfs.resolve("ballast"));
        List<GridEvent> stillRefused = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int round = 2;
        while (!refused.isEmpty() && System.nanoTime() < deadline) {
            stillRefused.clear();
            counted += sendEachAlone(refused, round++, stillRefused);
            refused = new ArrayList<>(stillRefused);
            Thread.sleep(500);
        }
        assertThat(refused).as("taken again once the disk has room").isEmpty();
        assertThat(total()).isEqualTo(BANNERS);
        assertThat(counted).isEqualTo(BANNERS);

        Set<GridEvent> journaled = new HashSet<>();
        for (MemberJournal journal : journals) {
            for (Path file : MemberJournal.files(journal.directory())) {
                MemberJournal.read(file).stream().map(AppliedSlice::events).forEach(journaled::addAll);
            }
        }
        assertThat(journaled).as("every counted event is in a journal, readable after the disk was full")
                .containsExactlyInAnyOrderElementsOf(events);
    }

    /**
     * Sends each event in a batch of its own, all at once; returns how many were answered counted and
     * adds the refused ones to {@code refused}. A first send answered "duplicate" fails the test.
     */
    private int sendEachAlone(List<GridEvent> events, long sequence, List<GridEvent> refused) throws Exception {
        List<CompletableFuture<Map<Long, long[]>>> answers = new ArrayList<>();
        for (GridEvent e : events) {
            ApplyBatch batch = new ApplyBatch(new BatchId(e.bannerId(), sequence), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(e)));
            answers.add(call.<long[]>execute(call.slices(batch.keys(), keys -> batch)));
        }
        int counted = 0;
        for (int i = 0; i < events.size(); i++) {
            GridEvent e = events.get(i);
            try {
                long[] answer = answers.get(i).get(60, TimeUnit.SECONDS).get(e.routeKey());
                assertThat(ApplyBatch.verdict(answer, 0)).as("banner %d, sent once before (refused)", e.bannerId())
                        .isEqualTo(ApplyBatch.COUNTED);
                counted++;
            } catch (java.util.concurrent.ExecutionException refusal) {
                refused.add(e);
            }
        }
        return counted;
    }

    private long total() {
        return GridTotals.sum(members.get(0)).impressions;
    }

    private static void fill(Path ballast) throws IOException {
        byte[] chunk = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(ballast)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            // ENOSPC: the point
        }
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
