package io.adgrid.grid.journal;

import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Duration;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.counters.CountingRefusedException;
import io.adgrid.grid.counters.FreezeFence;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.JournalUnavailableException;
import io.adgrid.grid.hazelcast.PartitionBatchCall;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.counters.TestEvents;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Owner and backup each journal what a batch changed, tagged with the write-behind batch it will be sealed in. */
class JournaledGridIT {

    private static final int PORT_BASE = TestPorts.of(6420);

    @TempDir
    Path root;

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<MemberJournal> journals = new ArrayList<>();
    private PartitionBatchCall call;

    @BeforeEach
    void twoJournaledMembers() {
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), PORT_BASE);
        UUID life = UUID.randomUUID();
        for (int i = 0; i < 2; i++) {
            MemberJournal journal = new MemberJournal(root.resolve("host" + i), 17);
            journal.open(life);
            journals.add(journal);
            members.add(GridMember.start(settings, journal));
        }
        TestGrid.awaitClusterSize(members.get(0), 2, java.time.Duration.ofSeconds(60));
        call = new PartitionBatchCall(members.get(0));
    }

    @AfterEach
    void stop() {
        TestGrid.terminate(members);
        journals.forEach(MemberJournal::close);
    }

    /**
     * Applies {@code batch} as the gateway does: a call whose backups were not acknowledged in time
     * (a busy box) fails as indeterminate and is re-sent, which adds nothing twice.
     */
    private void apply(ApplyBatch batch) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                call.execute(call.slices(batch.keys(), keys -> batch)).get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (attempt == 3 || !(e.getCause() instanceof IndeterminateOperationStateException)) {
                    throw e;
                }
            }
        }
    }

    private List<AppliedSlice> journaled(int member) {
        List<AppliedSlice> all = new ArrayList<>();
        for (Path file : MemberJournal.files(journals.get(member).directory())) {
            all.addAll(MemberJournal.read(file));
        }
        return all;
    }

    @Test
    void everyAppliedSliceIsJournaledOnOwnerAndBackupAndAReSentBatchAddsNothing() throws Exception {
        List<GridEvent> events = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            events.add(impression(1, 10 + i % 8, 100, ts(BASE_MINUTE, i), i));
        }
        ApplyBatch batch = new ApplyBatch(new BatchId(5, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(events));
        apply(batch);
        apply(batch);

        List<AppliedSlice> first = journaled(0);
        List<AppliedSlice> second = journaled(1);
        assertThat(first).as("owner on one member, backup on the other: the same slices").hasSameElementsAs(second);
        assertThat(first).hasSize(8).allSatisfy(s -> {
            assertThat(s.seq()).isEqualTo(1);
            assertThat(s.identitiesOnly()).isFalse();
            assertThat(s.batchSequence()).isEqualTo(1);
        });
        assertThat(first.stream().flatMap(s -> s.events().stream())).containsExactlyInAnyOrderElementsOf(events);
    }

    @Test
    void countsAppliedAfterASealAreTaggedWithTheNextBatch() throws Exception {
        GridEvent before = impression(1, 10, 100, ts(BASE_MINUTE, 1), 1);
        GridEvent after = impression(1, 10, 100, ts(BASE_MINUTE, 2), 2);
        apply(new ApplyBatch(new BatchId(5, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(before))));
        IMap<Long, RouteState> counters = members.get(0).getMap(GridMember.COUNTERS_MAP);
        SealedBatch sealed = counters.executeOnKey(before.routeKey(), new SealPending(BASE_MINUTE, 17));
        apply(new ApplyBatch(new BatchId(5, 2), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(after))));

        Map<GridEvent, Long> seqOf = new HashMap<>();
        journaled(0).forEach(s -> s.events().forEach(e -> seqOf.put(e, s.seq())));
        assertThat(sealed.seq()).isEqualTo(1);
        assertThat(seqOf).containsEntry(before, 1L).containsEntry(after, 2L);
        assertThat(journaled(0).get(0).epoch()).isEqualTo(sealed.epoch());
    }

    /**
     * Issue 18, seed 2 (FaultScheduleIT in CI, on 1025044): the owner and backup applied a gateway's batch, but the
     * backup's acknowledgement came too late, so the gateway sent the partition again with the same batch id, after
     * the write-behind had sealed the entry. The re-send found the sale's order marked by its own batch and answered
     * it counted without counting it, but both members journaled the sale again, tagged with the entry's next batch;
     * a replay after the grid lost its majority added that copy to PostgreSQL, whose watermark held only the batch
     * the sale was sealed in (campaign 4, 151.80, counted twice).
     */
    @Test
    void aSaleOfABatchSentAgainAfterASealIsJournaledOnceUnderTheBatchThatHoldsIt() throws Exception {
        GridEvent sale = TestEvents.sale(4, 14, 13, ts(BASE_MINUTE, 21), "o6293", 151_800_000);
        ApplyBatch batch = new ApplyBatch(new BatchId(5, 4104), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(sale)));
        apply(batch);
        IMap<Long, RouteState> counters = members.get(0).getMap(GridMember.COUNTERS_MAP);
        SealedBatch sealed = counters.executeOnKey(sale.routeKey(), new SealPending(BASE_MINUTE, 17));

        Map<Long, long[]> again = call.<long[]>execute(call.slices(batch.keys(), keys -> batch)).get(30, TimeUnit.SECONDS);

        assertThat(again.get(sale.routeKey()) == null ? ApplyBatch.COUNTED : ApplyBatch.verdict(again.get(sale.routeKey()), 0))
                .as("answered as the first send").isEqualTo(ApplyBatch.COUNTED);
        for (int member = 0; member < 2; member++) {
            assertThat(journaled(member)).as("member %d journals the sale once, under the batch it was sealed in", member)
                    .singleElement().satisfies(slice -> {
                        assertThat(slice.events()).containsExactly(sale);
                        assertThat(slice.seq()).isEqualTo(sealed.seq());
                    });
        }
    }

    /**
     * Issue 18, seeds 4 and 26: entries of a partition without its mark are old copies until the journals are
     * replayed for it. Sealed and written meanwhile, such a copy's batch would take a number the line that
     * went on had used, and PostgreSQL's watermark would then hold that line's journaled counts for written.
     */
    @Test
    void aPartitionWithoutItsMarkSealsNothingUntilMarked() throws Exception {
        GridEvent counted = impression(1, 10, 100, ts(BASE_MINUTE, 1), 1);
        apply(new ApplyBatch(new BatchId(5, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(counted))));
        journals.forEach(MemberJournal::enforcePartitionMarks);
        java.util.Set<Long> key = java.util.Set.of(counted.routeKey());

        assertThat(call.<SealedBatch>execute(call.slices(key, k -> new SealPending(BASE_MINUTE + 1, 17))).join())
                .as("sealed on a partition without its mark").isEmpty();
        io.adgrid.grid.hazelcast.PartitionMarks marks = new io.adgrid.grid.hazelcast.PartitionMarks(members.get(0));
        marks.mark(List.of(call.partitionOf(counted.routeKey())), UUID.randomUUID().toString());
        Map<Long, SealedBatch> sealed = call.<SealedBatch>execute(call.slices(key, k -> new SealPending(BASE_MINUTE + 1, 17))).join();
        assertThat(sealed.get(counted.routeKey()).seq()).as("the first batch, once marked").isEqualTo(1);
    }

    /**
     * Issue 18, seed 25: two members stopping gracefully at once had both stopped journaling while they
     * still held a partition's copies; batches they took then were acknowledged and journaled nowhere, and
     * a later loss of the whole grid lost them (counts, and the identities that make a click clean).
     */
    @Test
    void aBatchIsRefusedNotAcknowledgedUnjournaledWhenItsReplicasHaveStoppedJournaling() throws Exception {
        GridEvent first = impression(1, 10, 100, ts(BASE_MINUTE, 1), 1);
        GridEvent later = impression(1, 10, 100, ts(BASE_MINUTE, 2), 2);
        apply(new ApplyBatch(new BatchId(5, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(first))));
        journals.forEach(MemberJournal::stopAppending);

        assertThatThrownBy(() -> apply(new ApplyBatch(new BatchId(5, 2), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(later)))))
                .hasRootCauseInstanceOf(JournalUnavailableException.class);
        IMap<Long, RouteState> counters = members.get(0).getMap(GridMember.COUNTERS_MAP);
        assertThat(TestEvents.total(TestEvents.unpersisted(new java.util.AbstractMap.SimpleEntry<>(first.routeKey(),
                counters.get(first.routeKey())))).impressions).as("counted").isEqualTo(1);
    }

    /**
     * Issue 18, seed 31 (after fix 21): a dead journal's identities were loaded into copies whose owner
     * had stopped journaling (it was leaving the grid); the load was taken and journaled nowhere, the
     * dead journal was deleted as loaded, and the identities died with those copies: re-sent events
     * counted again. A load that must be journaled is refused like a counting batch; one whose journal
     * stays on disk (a recovery within the life) is not.
     */
    @Test
    void aDeadJournalsIdentitiesAreRefusedWhereTheyCannotBeJournaled() throws Exception {
        GridEvent known = impression(1, 10, 100, ts(BASE_MINUTE, 1), 1);
        journals.forEach(MemberJournal::stopAppending);

        assertThatThrownBy(() -> apply(ApplyBatch.identitiesOnly(new BatchId(8, 1), BASE_MINUTE + 1440,
                TestEvents.byRouteKey(List.of(known))))).hasRootCauseInstanceOf(JournalUnavailableException.class);
        IMap<Long, RouteState> counters = members.get(0).getMap(GridMember.COUNTERS_MAP);
        assertThat(counters.get(known.routeKey())).as("nothing remembered").isNull();
        apply(ApplyBatch.identitiesStillJournaled(new BatchId(8, 2), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(known))));
        assertThat(counters.get(known.routeKey())).as("remembered: its journal keeps it").isNotNull();
    }

    /**
     * Issue 18, seed 34: a member paused past the heartbeat timeout woke with its old member list and
     * applied a batch queued before the pause as the owner of a partition the cluster had given to
     * another member, which counted the gateway's re-send again.
     */
    @Test
    void aMemberFrozenForHalfTheHeartbeatTimeoutRefusesCountingUntilItsViewIsCurrent() throws Exception {
        AtomicLong nanos = new AtomicLong();
        FreezeFence.Watch watch = new FreezeFence.Watch(nanos::get);
        members.forEach(m -> m.getConfig().getUserContext().put(FreezeFence.USER_CONTEXT_KEY, new FreezeFence(watch, Duration.ofSeconds(20))));
        GridEvent queued = impression(1, 10, 100, ts(BASE_MINUTE, 1), 1);
        nanos.addAndGet(Duration.ofSeconds(12).toNanos());

        assertThatThrownBy(() -> apply(new ApplyBatch(new BatchId(7, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(queued)))))
                .hasRootCauseInstanceOf(CountingRefusedException.class).rootCause().hasMessageContaining("frozen for 12000 ms");
        IMap<Long, RouteState> counters = members.get(0).getMap(GridMember.COUNTERS_MAP);
        assertThat(counters.get(queued.routeKey())).as("nothing applied").isNull();

        for (int tick = 0; tick < 210; tick++) {
            nanos.addAndGet(Duration.ofMillis(100).toNanos());
            watch.tick();
        }
        apply(new ApplyBatch(new BatchId(7, 2), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(queued))));
        assertThat(TestEvents.total(TestEvents.unpersisted(new java.util.AbstractMap.SimpleEntry<>(queued.routeKey(),
                counters.get(queued.routeKey())))).impressions).as("counted once the fence is over").isEqualTo(1);

        // Alone in its view, a member was removed by nobody: a freeze does not stop it counting.
        members.remove(1).getLifecycleService().terminate();
        TestGrid.awaitClusterSize(members.get(0), 1, Duration.ofSeconds(60));
        nanos.addAndGet(Duration.ofSeconds(12).toNanos());
        GridEvent alone = impression(1, 10, 100, ts(BASE_MINUTE, 2), 2);
        apply(new ApplyBatch(new BatchId(7, 3), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(alone))));
        assertThat(TestEvents.total(TestEvents.unpersisted(new java.util.AbstractMap.SimpleEntry<>(alone.routeKey(),
                counters.get(alone.routeKey())))).impressions).as("counted by a lone member after a freeze").isEqualTo(2);
    }

    @Test
    void anIdentitiesOnlyBatchIsRememberedAndJournaledButNotCounted() throws Exception {
        GridEvent known = impression(1, 10, 100, ts(BASE_MINUTE, 1), 1);
        apply(ApplyBatch.identitiesOnly(new BatchId(6, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(known))));
        // The same beacon sent afterwards is a replay: the answer marks it duplicate.
        ApplyBatch replay = new ApplyBatch(new BatchId(5, 1), BASE_MINUTE + 1440, TestEvents.byRouteKey(List.of(known)));
        Map<Long, long[]> answers = call.<long[]>execute(call.slices(replay.keys(), keys -> replay)).get(30, TimeUnit.SECONDS);

        assertThat(ApplyBatch.isDuplicate(answers.get(known.routeKey()), 0)).isTrue();
        IMap<Long, RouteState> counters = members.get(0).getMap(GridMember.COUNTERS_MAP);
        assertThat(counters.get(known.routeKey()).pendingKeys()).isZero();
        // apply() re-sends a call the busy box left indeterminate, and identities taken again are journaled
        // again (ApplyBatchTest.identitiesLoadedAgainAreJournaledEvenWhenTheEntryKnowsThem): the same slice twice.
        assertThat(journaled(0).stream().distinct().toList()).singleElement().satisfies(s -> {
            assertThat(s.identitiesOnly()).isTrue();
            assertThat(s.events()).containsExactly(known);
            assertThat(s.deltas().isEmpty()).isTrue();
        });
    }
}
