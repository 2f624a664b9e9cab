package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17.5 on in-process members and a real PostgreSQL: four journaled members, each on its own
 * journal root; two crash together, so the partitions both held are lost. Those refuse counting
 * batches (the others keep counting) until the two restart on their roots and replay their journals
 * for the lost partitions; then every count is in PostgreSQL once and every identity is known again.
 * The members, journals and keepers of the tests in {@link LostPartitionRecoveryIT},
 * {@link LostPartitionMajorityIT} and {@link LostPartitionCopiesIT}: three classes, so that failsafe's
 * JVMs run them side by side.
 */
abstract class LostPartitionFixture {

    static final int PORT_BASE = TestPorts.of(9160);
    static final int WINDOW = 17;

    static TestDatabase db;

    @TempDir
    Path root;

    GridSettings settings;
    final List<HazelcastInstance> members = new ArrayList<>();
    final List<JournalKeeper> keepers = new ArrayList<>();
    final List<MemberJournal> journals = new ArrayList<>();

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

    void member(String host) {
        member(host, Clock.systemUTC());
    }

    void member(String host, Clock clock) {
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
    static void awaitMajority(List<HazelcastInstance> on) {
        Wait.until("the split-brain protection of every member has its majority", Duration.ofSeconds(60), () -> on.stream()
                .allMatch(m -> m.getSplitBrainProtectionService().getSplitBrainProtection(GridMember.MAJORITY).hasMinimumSize()));
    }

    /** kill -9 of two members at once: no flush, no goodbye, their journals left as they were. */
    void crashTogether(int first, int second) throws InterruptedException {
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

    static List<GridEvent> events(GridEventFeeder feeder, int banners, Instant now) {
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

    /** Of the members at {@code candidates}, the two that hold owner and backup of the most partitions together. */
    int[] pairHoldingMostPartitionsTogether(List<Integer> candidates) {
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

    /** The events journaled under every member's root: counted, and loaded as identities only. */
    long[] journaledEvents() throws IOException {
        long[] events = new long[2];
        try (Stream<Path> dirs = Files.list(root).flatMap(LostPartitionRecoveryIT::subdirectories)) {
            dirs.flatMap(dir -> MemberJournal.files(dir).stream()).flatMap(file -> MemberJournal.read(file).stream())
                    .forEach(slice -> events[slice.identitiesOnly() ? 1 : 0] += slice.events().size());
        }
        return events;
    }

    static Stream<Path> subdirectories(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
