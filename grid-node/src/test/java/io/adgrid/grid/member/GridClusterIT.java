package io.adgrid.grid.member;

import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.click;
import static io.adgrid.grid.counters.TestEvents.expected;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.positions;
import static io.adgrid.grid.counters.TestEvents.sale;
import static io.adgrid.grid.counters.TestEvents.ts;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import io.adgrid.grid.counters.AcknowledgeBatches;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.counters.TestEvents;
import io.adgrid.grid.testing.GridTotals;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two real data members (backup count 1) and a lite member acting as the gateway: counts are
 * exact across partitions, survive the abrupt loss of a member, and replays stay recognised.
 */
class GridClusterIT {

    private static final String CLUSTER = "test-grid-cluster-" + UUID.randomUUID();
    private static final GridSettings SETTINGS = new GridSettings(CLUSTER,
            GridSettings.parseMembers(TestPorts.members(5710, 3)), TestPorts.of(5710), false, 71, 1);
    private static final int BANNERS = 200;
    private static final int WINDOW = 17;
    private static final long ORDER_EXPIRY = BASE_MINUTE + 24 * 60;
    private static final long GATEWAY_ID = 0x6A7E_0005L;

    private HazelcastInstance first;
    private HazelcastInstance second;
    private HazelcastInstance gateway;

    @BeforeEach
    void startCluster() {
        first = GridMember.start(SETTINGS);
        second = GridMember.start(SETTINGS);
        gateway = GridMember.start(SETTINGS.asLiteMember());
        assertThat(gateway.getCluster().getMembers()).hasSize(3);
        assertThat(gateway.getCluster().getLocalMember().isLiteMember()).isTrue();
        awaitClusterSafe(second, 3);
    }

    @AfterEach
    void stopCluster() {
        for (HazelcastInstance instance : new HazelcastInstance[] {gateway, second, first}) {
            if (instance != null && instance.getLifecycleService().isRunning()) {
                instance.getLifecycleService().terminate();
            }
        }
    }

    @Test
    void batchFromALiteMemberIsCountedExactlyAcrossBothDataMembers() throws Exception {
        List<GridEvent> events = workload(1);
        ApplyBatch batch = batch(1, events);

        Map<Long, long[]> answer = submit(gateway, batch);

        // Hazelcast leaves null answers (no duplicates) out of the result map.
        assertThat(batch.keys()).containsAll(answer.keySet());
        assertThat(duplicates(answer)).isEmpty();
        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(events));
        assertThat(GridTotals.byKey(first)).isEqualTo(expected(events));
        // The keys really are spread: both data members own some of them, and each has a backup.
        Set<Member> owners = new HashSet<>();
        batch.keys().forEach(k -> owners.add(gateway.getPartitionService().getPartition(k).getOwner()));
        assertThat(owners).containsExactlyInAnyOrder(first.getCluster().getLocalMember(), second.getCluster().getLocalMember());
        assertThat(counters(gateway).size()).isEqualTo(batch.keys().size());
        await("every entry has a backup", () -> backupEntries() == batch.keys().size());
    }

    @Test
    void resentBatchLeavesTheTotalsUnchangedAndAnswersItsSalesAsTheOriginal() throws Exception {
        List<GridEvent> events = workload(1);
        ApplyBatch batch = batch(1, events);
        submit(gateway, batch);

        Map<Long, long[]> again = submit(gateway, batch);
        Map<Long, long[]> viaDataMember = submit(first, batch(1, events));

        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(events));
        for (Map<Long, long[]> answer : List.of(again, viaDataMember)) {
            Map<Long, List<Integer>> duplicates = duplicates(answer);
            // Sales live under odd (campaign) keys: none of them is a duplicate; replayed beacons are.
            assertThat(duplicates.keySet()).allMatch(k -> (k & 1) == 0).hasSize(BANNERS);
        }
    }

    @Test
    void countsAndIdentitiesSurviveTheAbruptLossOfADataMember() throws Exception {
        List<GridEvent> events = workload(1);
        submit(gateway, batch(1, events));
        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(events));

        first.getLifecycleService().terminate();
        awaitClusterSafe(second, 2);
        await("the gateway sees the member gone", () -> gateway.getCluster().getMembers().size() == 2);

        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(events));
        // Every beacon and every order sent again (in a new batch) is recognised by the promoted backups.
        ApplyBatch replay = batch(2, events);
        Map<Long, long[]> answer = submit(gateway, replay);
        Map<Long, List<GridEvent>> byKey = TestEvents.byRouteKey(events);
        assertThat(duplicates(answer).keySet()).containsExactlyInAnyOrderElementsOf(byKey.keySet());
        byKey.forEach((key, list) -> assertThat(positions(answer.get(key)))
                .as("duplicates of key %d", key).isEqualTo(IntStream.range(0, list.size()).boxed().toList()));
        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(events));
        // New events still count.
        List<GridEvent> fresh = workload(2);
        assertThat(duplicates(submit(gateway, batch(3, fresh)))).isEmpty();
        List<GridEvent> all = new ArrayList<>(events);
        all.addAll(fresh);
        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(all));
    }

    @Test
    void sealedBatchesSurviveTheLossOfADataMemberAndGoAwayWhenAcknowledged() throws Exception {
        List<GridEvent> events = workload(1);
        ApplyBatch batch = batch(1, events);
        submit(gateway, batch);
        Map<Long, ? extends SealedBatch> sealed = counters(gateway).executeOnKeys(batch.keys(), sealPending(BASE_MINUTE + 2));
        assertThat(sealed.values()).allMatch(b -> b.seq() == 1);
        assertThat(sum(sealed)).isEqualTo(expected(events));
        List<GridEvent> fresh = workload(2);
        submit(gateway, batch(2, fresh));

        second.getLifecycleService().terminate();
        awaitClusterSafe(first, 2);
        await("the gateway sees the member gone", () -> gateway.getCluster().getMembers().size() == 2);

        // The surviving replicas hand out the very batches PostgreSQL may already hold: same epoch, seq and counts.
        Map<Long, ? extends SealedBatch> again = counters(gateway).executeOnKeys(batch.keys(), sealPending(BASE_MINUTE + 2));
        assertThat(again.keySet()).isEqualTo(sealed.keySet());
        sealed.forEach((key, b) -> {
            SealedBatch other = again.get(key);
            assertThat(other.epoch()).as("epoch of %d", key).isEqualTo(b.epoch());
            assertThat(other.seq()).as("seq of %d", key).isEqualTo(b.seq());
            assertThat(other.deltas()).as("deltas of %d", key).isEqualTo(b.deltas());
        });
        List<GridEvent> all = new ArrayList<>(events);
        all.addAll(fresh);
        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(all));

        counters(gateway).executeOnKeys(sealed.keySet(), new AcknowledgeBatches(seqs(sealed)));

        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(fresh));
        Map<Long, ? extends SealedBatch> next = counters(gateway).executeOnKeys(batch.keys(), sealPending(BASE_MINUTE + 2));
        assertThat(sum(next)).isEqualTo(expected(fresh));
        next.forEach((key, b) -> {
            assertThat(b.seq()).isEqualTo(2);
            assertThat(b.epoch()).isEqualTo(sealed.get(key).epoch());
        });
    }

    @Test
    void sealOnOneMemberAndAcknowledgeOnAnotherEmptiesMemoryAndExpiryDropsTheEntries() throws Exception {
        List<GridEvent> events = workload(1);
        ApplyBatch batch = batch(1, events);
        submit(gateway, batch);

        Map<Long, ? extends SealedBatch> sealed = counters(first).executeOnKeys(batch.keys(), sealPending(BASE_MINUTE + 2));
        assertThat(sealed.keySet()).containsExactlyInAnyOrderElementsOf(batch.keys());
        assertThat(sum(sealed)).isEqualTo(expected(events));
        // Until acknowledged, a report still sees the sealed counts.
        assertThat(GridTotals.byKey(gateway)).isEqualTo(expected(events));
        counters(second).executeOnKeys(sealed.keySet(), new AcknowledgeBatches(seqs(sealed)));

        assertThat(GridTotals.byKey(gateway).isEmpty()).isTrue();
        assertThat(counters(gateway).executeOnKeys(batch.keys(), sealPending(BASE_MINUTE + 2)).values())
                .allMatch(Objects::isNull);
        // The entries stay for their identities: replays are still caught.
        assertThat(counters(gateway).size()).isEqualTo(batch.keys().size());
        assertThat(duplicates(submit(gateway, batch(2, events))).keySet())
                .containsExactlyInAnyOrderElementsOf(batch.keys());

        // Once identities and orders have expired, the entries and their backups are gone.
        counters(gateway).executeOnKeys(batch.keys(), sealPending(ORDER_EXPIRY + 1));

        assertThat(counters(gateway).size()).isZero();
        await("no backup entry is left", () -> backupEntries() == 0);
    }

    // ---- helpers ----

    /** Impressions and clicks on {@value #BANNERS} banners of ten campaigns, five publishers, three minutes; thirty sales. */
    private static List<GridEvent> workload(int round) {
        List<GridEvent> events = new ArrayList<>();
        long id = round * 1_000_000L;
        for (long b = 1; b <= BANNERS; b++) {
            long campaign = (b - 1) % 10 + 1;
            for (int i = 0; i <= b % 3; i++) {
                events.add(impression(campaign, b, (b + i) % 5 + 1, ts(BASE_MINUTE + i, (b * 7) % 60), id++));
            }
            if (b % 4 == 2) {
                // The click of the banner's first impression: clean.
                events.add(TestEvents.clickOf(events.get(events.size() - 1 - (int) (b % 3))));
            } else if (b % 4 == 0) {
                // A click without an impression: a suspect click.
                events.add(click(campaign, b, b % 5 + 1, ts(BASE_MINUTE, 30), id++));
            }
        }
        for (int o = 1; o <= 30; o++) {
            long b = o * 7L % BANNERS + 1;
            events.add(sale((b - 1) % 10 + 1, b, o % 5 + 1, ts(BASE_MINUTE + 1, o), "order-" + round + "-" + o, o * 1_250_000L));
        }
        return events;
    }

    private static ApplyBatch batch(long sequence, List<GridEvent> events) {
        return new ApplyBatch(new BatchId(GATEWAY_ID, sequence), ORDER_EXPIRY, TestEvents.byRouteKey(events));
    }

    private static SealPending sealPending(long nowMinute) {
        return new SealPending(nowMinute, WINDOW);
    }

    private static IMap<Long, RouteState> counters(HazelcastInstance via) {
        return via.getMap(GridMember.COUNTERS_MAP);
    }

    private static Map<Long, long[]> submit(HazelcastInstance via, ApplyBatch batch) throws Exception {
        return counters(via).submitToKeys(batch.keys(), batch).toCompletableFuture().get(60, SECONDS);
    }

    /** Per key, the positions answered as duplicates; keys without any are left out. */
    private static Map<Long, List<Integer>> duplicates(Map<Long, long[]> answer) {
        Map<Long, List<Integer>> out = new HashMap<>();
        answer.forEach((key, bits) -> {
            if (!positions(bits).isEmpty()) {
                out.put(key, positions(bits));
            }
        });
        return out;
    }

    private static CounterDeltas sum(Map<Long, ? extends SealedBatch> batches) {
        CounterDeltas sum = new CounterDeltas();
        batches.values().stream().filter(Objects::nonNull).forEach(b -> sum.addAll(b.deltas()));
        return sum;
    }

    private static Map<Long, Long> seqs(Map<Long, ? extends SealedBatch> batches) {
        Map<Long, Long> out = new HashMap<>();
        batches.forEach((k, b) -> out.put(k, b.seq()));
        return out;
    }

    private long backupEntries() {
        long n = 0;
        for (HazelcastInstance member : List.of(first, second)) {
            if (member.getLifecycleService().isRunning()) {
                n += counters(member).getLocalMapStats().getBackupEntryCount();
            }
        }
        return n;
    }

    private static void awaitClusterSafe(HazelcastInstance member, int members) {
        await("a safe cluster of " + members, () -> member.getCluster().getMembers().size() == members
                && member.getPartitionService().isClusterSafe());
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
