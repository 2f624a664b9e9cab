package io.adgrid.gateway.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import io.adgrid.event.EventType;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.journal.SliceJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.TestPorts;
import io.adgrid.grid.testing.Wait;
import io.adgrid.grid.testing.GridTotals;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher against real members: one member (one call per member per flush) and two members
 * (one call per partition, so backups get only their partition's events). Every future completes,
 * replays come back as duplicates, and the grid holds exactly one count per distinct event.
 */
class GridBatcherIT {

    private final List<HazelcastInstance> members = new ArrayList<>();
    private GridBatcher batcher;

    @AfterEach
    void stop() {
        if (batcher != null) {
            batcher.close();
        }
        TestGrid.terminate(members);
    }

    /**
     * For the tests about counting, not shedding: 1000 events submitted at once are a queue, and on a
     * busy box a cold grid may take over 500 ms; the shedding test sets its own limits.
     */
    private static final GridBatcher.Settings NO_TIME_SHEDDING = new GridBatcher.Settings(2, 20_000, 200_000, 5,
            Duration.ofHours(24), Duration.ofSeconds(30));

    @Test
    void oneMemberCountsEveryDistinctEventOnceAndFlagsReplays() throws Exception {
        HazelcastInstance member = startOneMemberAndBatcher(NO_TIME_SHEDDING);

        sendAndCheck(0, member);
    }

    @Test
    void twoMembersWithBackupsCountEveryDistinctEventOnceAndFlagsReplays() throws Exception {
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestPorts.of(5730));
        members.addAll(TestGrid.startMembers(settings, 2));
        HazelcastInstance gateway = GridMember.start(settings.asLiteMember());
        members.add(gateway);
        TestGrid.awaitClusterSize(gateway, 3, Duration.ofSeconds(60));
        batcher = new GridBatcher(gateway, NO_TIME_SHEDDING, Clock.systemUTC());

        sendAndCheck(0, gateway);
        // Kill a data member: its backups on the other take over, nothing is lost or doubled.
        members.get(0).getLifecycleService().terminate();
        TestGrid.awaitClusterSize(gateway, 2, Duration.ofSeconds(60));
        assertThat(GridTotals.sum(gateway).impressions).isEqualTo(1000);
        sendAndCheck(1, gateway);
    }

    @Test
    void slowGridAnswersShedNewEventsForTheHoldTimeThenTakesThemAgain() throws Exception {
        // Any wait counts as too long and any queue as a queue: the second answered batch in a row starts shedding.
        GridBatcher.Settings shedAtOnce = new GridBatcher.Settings(2, 20_000, 200_000, 5, Duration.ofHours(24), Duration.ZERO, 0);
        HazelcastInstance member = startOneMemberAndBatcher(shedAtOnce);
        long now = System.currentTimeMillis();

        assertThat(batcher.submit(new GridEvent(EventType.IMPRESSION, 1, 1, 1, now, 7, 1, null, 0)).get(30, TimeUnit.SECONDS))
                .as("one slow batch is no evidence").isEqualTo(Outcome.COUNTED);
        assertThat(batcher.submit(new GridEvent(EventType.IMPRESSION, 1, 1, 1, now, 7, 2, null, 0)).get(30, TimeUnit.SECONDS))
                .isEqualTo(Outcome.COUNTED);
        CompletableFuture<Outcome> shed = batcher.submit(new GridEvent(EventType.IMPRESSION, 1, 1, 1, now, 7, 3, null, 0));
        assertThat(shed).isCompletedExceptionally();
        assertThatThrownBy(shed::join).hasCauseInstanceOf(OverloadedException.class);

        AtomicReference<CompletableFuture<Outcome>> accepted = new AtomicReference<>();
        Wait.until("shedding ends after the hold time", Duration.ofSeconds(10), () -> {
            CompletableFuture<Outcome> again = batcher.submit(new GridEvent(EventType.IMPRESSION, 1, 1, 1, now, 7, 4, null, 0));
            accepted.set(again);
            return !again.isCompletedExceptionally();
        });
        assertThat(accepted.get().get(30, TimeUnit.SECONDS)).isEqualTo(Outcome.COUNTED);
        assertThat(GridTotals.sum(member).impressions).as("the shed event was never counted").isEqualTo(3);
    }

    /**
     * An idle batcher sleeps until an event comes (it woke every millisecond before: about 2 % of a
     * core on an idle gateway, docs/PERFORMANCE.md), an event after a long idle is still sent at once,
     * and close ends the flusher without waiting for an event.
     */
    @Test
    void anIdleBatcherSleepsUntilAnEventComesAndStillSendsIt() throws Exception {
        HazelcastInstance member = startOneMemberAndBatcher(NO_TIME_SHEDDING);
        long now = System.currentTimeMillis();
        for (int round = 0; round < 3; round++) {
            Wait.until("the flusher parked without a timeout", Duration.ofSeconds(30),
                    () -> batcher.flusherState() == Thread.State.WAITING);
            Thread.sleep(200);
            assertThat(batcher.flusherState()).as("still asleep after 200 ms idle").isEqualTo(Thread.State.WAITING);

            GridEvent e = new GridEvent(EventType.IMPRESSION, 1, 1 + round, 1, now, 7, round, null, 0);
            assertThat(batcher.submit(e).get(30, TimeUnit.SECONDS)).isEqualTo(Outcome.COUNTED);
        }
        assertThat(GridTotals.sum(member).impressions).isEqualTo(3);

        batcher.close();
        Wait.until("the flusher ended", Duration.ofSeconds(30), () -> batcher.flusherState() == Thread.State.TERMINATED);
    }

    @Test
    void requestsAreAnsweredWholeInOrderWhetherLargerOrSmallerThanABatch() throws Exception {
        // Batches of at most 100 events: the 300-event requests go alone, the 30-event ones share batches.
        GridBatcher.Settings small = new GridBatcher.Settings(2, 100, 200_000, 5, Duration.ofHours(24), Duration.ofSeconds(30));
        HazelcastInstance member = startOneMemberAndBatcher(small);
        long now = System.currentTimeMillis();
        List<List<GridEvent>> requests = new ArrayList<>();
        for (int r = 0; r < 30; r++) {
            int size = r % 6 == 0 ? 300 : 30;
            List<GridEvent> events = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                long banner = 1 + (r * 7 + i) % 300;
                events.add(new GridEvent(EventType.IMPRESSION, 1 + banner % 10, banner, 1, now, 100 + r, i, null, 0));
            }
            events.add(events.get(size / 2)); // a replay inside the request
            requests.add(events);
        }

        List<CompletableFuture<Outcome[]>> answers = requests.stream().map(batcher::submitAll).toList();

        int distinct = 0;
        for (int r = 0; r < requests.size(); r++) {
            Outcome[] outcomes = answers.get(r).get(30, TimeUnit.SECONDS);
            int size = requests.get(r).size() - 1;
            assertThat(outcomes).hasSize(size + 1);
            assertThat(List.of(outcomes).subList(0, size)).as("request %d", r).containsOnly(Outcome.COUNTED);
            assertThat(outcomes[size]).as("request %d's replay", r).isEqualTo(Outcome.DUPLICATE);
            distinct += size;
        }
        assertThat(GridTotals.sum(member).impressions).isEqualTo(distinct);
        assertThat(batcher.inFlight()).isZero();
    }

    @Test
    void aRequestOverTheInFlightCapIsRefusedWholeAndNothingOfItIsCounted() throws Exception {
        GridBatcher.Settings cap50 = new GridBatcher.Settings(2, 20_000, 50, 5, Duration.ofHours(24), Duration.ofSeconds(30));
        HazelcastInstance member = startOneMemberAndBatcher(cap50);
        long now = System.currentTimeMillis();
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            events.add(new GridEvent(EventType.IMPRESSION, 1, 1 + i % 20, 1, now, 9, i, null, 0));
        }

        CompletableFuture<Outcome[]> tooMany = batcher.submitAll(events);

        assertThatThrownBy(tooMany::join).hasCauseInstanceOf(OverloadedException.class);
        assertThat(batcher.inFlight()).isZero();
        assertThat(batcher.submitAll(events.subList(0, 50)).get(30, TimeUnit.SECONDS)).containsOnly(Outcome.COUNTED);
        assertThat(GridTotals.sum(member).impressions).isEqualTo(50);
    }

    /**
     * A member that refuses the batches of its partitions (its journal disk is full, say) while the
     * other member counts: a flush mixes both, and only the requests in refused partitions may fail.
     * A request answered 503 must not have been counted.
     */
    @Test
    void aPartitionItsOwnerRefusesFailsOnlyTheRequestsInItNotTheRestOfTheBatch() throws Exception {
        RefusingJournal refusing = new RefusingJournal(Integer.MAX_VALUE);
        HazelcastInstance gateway = startTwoMembersOneRefusing(refusing);
        Member refuser = members.get(1).getCluster().getLocalMember();
        List<GridEvent> events = distinctImpressions(200);

        List<CompletableFuture<Outcome>> answers = events.stream().map(batcher::submit).toList();

        int counted = 0;
        for (int i = 0; i < events.size(); i++) {
            boolean refusedPartition = refuser.equals(gateway.getPartitionService().getPartition(events.get(i).routeKey()).getOwner());
            CompletableFuture<Outcome> answer = answers.get(i);
            try {
                assertThat(answer.get(60, TimeUnit.SECONDS)).as("event %d", i).isEqualTo(Outcome.COUNTED);
                assertThat(refusedPartition).as("event %d counted in a refused partition", i).isFalse();
                counted++;
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(refusedPartition).as("event %d failed though its partition took it: %s", i, e.getCause()).isTrue();
            }
        }
        assertThat(refusing.refusals.get()).isPositive();
        assertThat(counted).isPositive().isLessThan(events.size());
        assertThat(GridTotals.sum(gateway).impressions).as("counted exactly the events answered counted").isEqualTo(counted);
        assertThat(batcher.inFlight()).isZero();
    }

    /** One partition's call fails once: the batch's re-send must not answer the other partitions' events "duplicate". */
    @Test
    void aBatchReSentAfterOnePartitionFailedAnswersEveryFirstSendCounted() throws Exception {
        RefusingJournal refusing = new RefusingJournal(1);
        HazelcastInstance gateway = startTwoMembersOneRefusing(refusing);
        List<GridEvent> events = distinctImpressions(200);

        List<CompletableFuture<Outcome>> answers = events.stream().map(batcher::submit).toList();

        for (int i = 0; i < events.size(); i++) {
            assertThat(answers.get(i).get(60, TimeUnit.SECONDS)).as("event %d, sent once", i).isEqualTo(Outcome.COUNTED);
        }
        assertThat(refusing.refusals.get()).isEqualTo(1);
        assertThat(GridTotals.sum(gateway).impressions).isEqualTo(events.size());
    }

    /**
     * Fault runner seed 5 (issue 18): a partition's owner applied a batch but its backup never
     * acknowledged (here: a journal disk that stalls on the backup member), so the call failed as
     * indeterminate, and every re-send failed too until the batch was given up. Its events were
     * counted: they must be answered with an unknown outcome (retry, and a replay is a duplicate),
     * never as refused, which promises "not counted".
     */
    @Test
    void aBatchGivenUpAfterAnUnknownOutcomeIsAnsweredUnknownNeverRefused() throws Exception {
        StallingJournal stalling = new StallingJournal();
        // The gateway gives a backup 1 s to acknowledge (Hazelcast's default is 5 s) so that five attempts fail quickly.
        HazelcastInstance gateway = startTwoMembers(stalling, Map.of("hazelcast.operation.backup.timeout.millis", "1000"));
        batcher.close();
        // One attempt: the batch is given up after its first, unknown outcome. With a second attempt the test
        // depended on timing (CI 33 and 35): a re-send whose backup no longer waited behind a stalled one
        // (duplicates journal nothing) was answered, correctly, as counted.
        batcher = new GridBatcher(gateway, new GridBatcher.Settings(2, 20_000, 200_000, 1, Duration.ofHours(24), Duration.ofSeconds(30)),
                Clock.systemUTC());
        // Few partitions: the stalled member's partition threads take its appends one after another.
        List<GridEvent> events = distinctImpressions(20);

        stalling.stall();
        List<CompletableFuture<Outcome>> answers = events.stream().map(batcher::submit).toList();
        int unknown = 0;
        for (int i = 0; i < events.size(); i++) {
            try {
                assertThat(answers.get(i).get(120, TimeUnit.SECONDS)).as("event %d", i).isIn(Outcome.COUNTED, Outcome.DUPLICATE);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).as("event %d, given up", i).isInstanceOf(OutcomeUnknownException.class);
                unknown++;
            }
        }
        stalling.release();
        assertThat(unknown).as("events given up after an unknown outcome").isPositive();
        assertThat(GridTotals.sum(gateway).impressions).as("every event applied by its owner, once").isEqualTo(events.size());
        assertThat(batcher.inFlight()).isZero();
    }

    private HazelcastInstance startTwoMembersOneRefusing(RefusingJournal refusing) {
        return startTwoMembers(refusing, Map.of());
    }

    /** Two data members, the second with {@code journal}, and a gateway (lite member) with {@code gatewayProperties}. */
    private HazelcastInstance startTwoMembers(SliceJournal journal, Map<String, String> gatewayProperties) {
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase());
        members.add(GridMember.start(settings));
        members.add(GridMember.start(settings, journal));
        Config gatewayConfig = GridMember.config(settings.asLiteMember());
        gatewayProperties.forEach(gatewayConfig::setProperty);
        HazelcastInstance gateway = Hazelcast.newHazelcastInstance(gatewayConfig);
        members.add(gateway);
        TestGrid.awaitClusterSize(gateway, 3, Duration.ofSeconds(60));
        // The tests compare each event's answer with its partition's owner: wait until the second member
        // owns its share and the gateway's partition table (a lite member's is updated last) agrees with
        // the master's, or an owner read here may not be the one that ran the call.
        Wait.until("partitions balanced, the gateway's table current", Duration.ofSeconds(60), () -> {
            var master = members.get(0).getPartitionService();
            java.util.Map<Integer, Member> seen = new java.util.HashMap<>();
            gateway.getPartitionService().getPartitions().forEach(p -> seen.put(p.getPartitionId(), p.getOwner()));
            long second = master.getPartitions().stream()
                    .filter(p -> members.get(1).getCluster().getLocalMember().equals(p.getOwner())).count();
            return second > 0 && master.isClusterSafe() && master.getPartitions().stream()
                    .allMatch(p -> p.getOwner() != null && p.getOwner().equals(seen.get(p.getPartitionId())));
        });
        batcher = new GridBatcher(gateway, NO_TIME_SHEDDING, Clock.systemUTC());
        return gateway;
    }

    private static List<GridEvent> distinctImpressions(int n) {
        long now = System.currentTimeMillis();
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long banner = 1 + i;
            events.add(new GridEvent(EventType.IMPRESSION, 1 + banner % 10, banner, 1, now, 77, i, null, 0));
        }
        return events;
    }

    /** A member's journal that refuses the first {@code refuse} batches its member owns (as a full disk does), then takes them. */
    private static final class RefusingJournal implements SliceJournal {
        private final int refuse;
        private final AtomicInteger asked = new AtomicInteger();
        /** Refusals made: counted apart from the asks, which two partition threads make at once (CI 37 counted 2 for 1). */
        final AtomicInteger refusals = new AtomicInteger();

        RefusingJournal(int refuse) {
            this.refuse = refuse;
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public String refusalBeforeApply() {
            if (asked.get() < refuse && asked.getAndIncrement() < refuse) {
                refusals.incrementAndGet();
                return "journal disk full (test)";
            }
            return null;
        }

        @Override
        public void append(List<AppliedSlice> slices) {
            // nothing kept: the test checks answers and grid totals
        }
    }

    /** A member's journal whose disk stalls on demand: each append (the owner's and the backups') takes 3.5 s, past the gateway's backup timeout. */
    private static final class StallingJournal implements SliceJournal {
        private volatile boolean stalled;

        void stall() {
            stalled = true;
        }

        void release() {
            stalled = false;
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public void append(List<AppliedSlice> slices) {
            if (stalled) {
                try {
                    // Hazelcast looks for late backups once a second: an acknowledgement later than the
                    // 1 s backup timeout plus one scan (and slack for a busy box) is always seen as late.
                    Thread.sleep(3_500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private HazelcastInstance startOneMemberAndBatcher(GridBatcher.Settings batcherSettings) {
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestPorts.of(5730));
        members.addAll(TestGrid.startMembers(settings, 1));
        batcher = new GridBatcher(members.get(0), batcherSettings, Clock.systemUTC());
        return members.get(0);
    }

    /** Sends 1000 new impressions over 300 banners plus a replay of each; round {@code r} uses fresh ids. */
    private void sendAndCheck(int round, HazelcastInstance grid) throws Exception {
        long before = GridTotals.sum(grid).impressions;
        long now = System.currentTimeMillis();
        List<CompletableFuture<Outcome>> first = new ArrayList<>();
        List<CompletableFuture<Outcome>> replays = new ArrayList<>();
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            long banner = 1 + i % 300;
            events.add(new GridEvent(EventType.IMPRESSION, 1 + banner % 10, banner, 1 + i % 7, now, round, i, null, 0));
        }
        events.forEach(e -> first.add(batcher.submit(e)));
        CompletableFuture.allOf(first.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        events.forEach(e -> replays.add(batcher.submit(e)));
        CompletableFuture.allOf(replays.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertThat(first).allSatisfy(f -> assertThat(f.join()).isEqualTo(Outcome.COUNTED));
        assertThat(replays).allSatisfy(f -> assertThat(f.join()).isEqualTo(Outcome.DUPLICATE));
        assertThat(GridTotals.sum(grid).impressions - before).isEqualTo(1000);
        assertThat(batcher.inFlight()).isZero();
    }
}
