package io.adgrid.grid.counters;

import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Write-behind batches that hold the open minute back: what a partial seal takes and leaves, and
 * that {@link Watermark#holds} says exactly which journaled counts PostgreSQL holds and which
 * counts a report must add from memory, whatever the order of events, seals, writes and
 * acknowledgements.
 */
class OpenMinuteSealTest {

    private static final long CAMPAIGN = 3;
    private static final long BANNER = 12;
    private static final long KEY = RouteKeys.banner(BANNER);
    private static final BatchId BATCH = new BatchId(1, 1);

    private final RouteState state = new RouteState(0xE, 0xF);
    private long nextId = 1;

    /** Counts one impression of {@code minute} (its own publisher, so its own counter key); returns its journal slice. */
    private AppliedSlice count(long minute) {
        long id = nextId++;
        GridEvent e = impression(CAMPAIGN, BANNER, id, ts(minute, 30), id);
        assertThat(state.recordBeacon(e)).isEqualTo(RouteState.Verdict.COUNTED);
        return state.applied(KEY, BATCH, false, 0, List.of(e));
    }

    private static long minutes(SealedBatch b) {
        return b.deltas().asMap().keySet().stream().mapToLong(CounterKey::minute).distinct().count();
    }

    @Test
    void aPartialSealTakesTheClosedMinutesAndLeavesTheOpenOnePending() {
        count(BASE_MINUTE - 1);
        count(BASE_MINUTE - 2);
        AppliedSlice open = count(BASE_MINUTE);

        SealedBatch sealed = state.seal(BASE_MINUTE);

        assertThat(sealed.seq()).isEqualTo(1);
        assertThat(sealed.full()).isFalse();
        assertThat(sealed.cutMinute()).isEqualTo(BASE_MINUTE);
        assertThat(sealed.deltas().asMap().keySet()).allMatch(k -> k.minute() < BASE_MINUTE).hasSize(2);
        assertThat(state.snapshot(CounterFilter.all()).unpersisted(Watermark.NONE).asMap().keySet())
                .as("sealed and pending, before anything is written").hasSize(3);
        Watermark written = new Watermark(1, BASE_MINUTE, 0);
        assertThat(state.snapshot(CounterFilter.all()).unpersisted(written).asMap().keySet())
                .as("once batch 1 is written, only the open minute is left to add")
                .containsExactlyElementsOf(open.deltas().asMap().keySet());
        assertThat(open.heldBy(written)).as("the open minute's count was taken under seq 1 but not written").isFalse();
    }

    @Test
    void nothingClosedSealsNothingAndKeepsTheSequence() {
        count(BASE_MINUTE);

        assertThat(state.seal(BASE_MINUTE)).isNull();
        SealedBatch all = state.seal(Long.MAX_VALUE);

        assertThat(all.seq()).as("the seal that took nothing used no seq").isEqualTo(1);
        assertThat(all.full()).isTrue();
    }

    @Test
    void aPartialSealThatLeavesNothingIsFull() {
        count(BASE_MINUTE - 1);
        assertThat(state.seal(BASE_MINUTE).full()).isTrue();
    }

    @Test
    void aCutNeverGoesBackBetweenFullSeals() {
        count(BASE_MINUTE - 1);
        count(BASE_MINUTE);
        assertThat(state.seal(BASE_MINUTE).cutMinute()).isEqualTo(BASE_MINUTE);
        state.acknowledge(1);
        count(BASE_MINUTE - 1);

        // A member whose clock is a minute behind asks for an earlier cut: the late count of
        // BASE_MINUTE - 1 still goes, and the cut stays where it was.
        SealedBatch second = state.seal(BASE_MINUTE - 1);

        assertThat(second.cutMinute()).isEqualTo(BASE_MINUTE);
        assertThat(minutes(second)).isEqualTo(1);
        state.acknowledge(2);
        assertThat(state.seal(Long.MAX_VALUE).full()).isTrue();
        state.acknowledge(3);
        count(BASE_MINUTE - 5);
        count(BASE_MINUTE - 3);
        assertThat(state.seal(BASE_MINUTE - 4).cutMinute()).as("after a full seal, cuts start afresh").isEqualTo(BASE_MINUTE - 4);
    }

    /**
     * Random interleavings of counting, sealing (partial with clocks that may lag, or full), writing
     * (sometimes twice) and acknowledging, against a model of PostgreSQL that applies the watermark
     * upsert of {@code CounterWriter}. After every step: every journaled count is held by the
     * watermark exactly when PostgreSQL has it, and PostgreSQL plus what a report adds from memory
     * is everything counted.
     */
    @Test
    void theWatermarkHoldsExactlyWhatPostgresHasInAnyInterleaving() {
        for (long seed = 1; seed <= 40; seed++) {
            Random random = new Random(seed);
            RouteState entry = new RouteState(seed, ~seed);
            List<AppliedSlice> journal = new ArrayList<>();
            CounterDeltas everything = new CounterDeltas(); // the sum of the journal, kept as it grows
            CounterDeltas postgres = new CounterDeltas();
            Watermark watermark = Watermark.NONE;
            SealedBatch sealed = null;
            boolean written = false;
            Watermark acknowledgedBefore = new Watermark(0, Long.MIN_VALUE, 0);
            // What PostgreSQL held at each acknowledgement: where a standby may have stopped.
            List<Object[]> history = new ArrayList<>();
            history.add(new Object[] {Watermark.NONE, new CounterDeltas()});
            long now = BASE_MINUTE;
            Watermark checkedAt = watermark;
            int checkedSlices = 0;
            for (int step = 0; step < 2_000; step++) {
                int action = random.nextInt(100);
                if (action < 45) {
                    long id = nextId++;
                    GridEvent e = impression(CAMPAIGN, BANNER, id, ts(now - random.nextInt(4) + (random.nextInt(20) == 0 ? 1 : 0), 0), id);
                    entry.recordBeacon(e);
                    AppliedSlice slice = entry.applied(KEY, BATCH, false, 0, List.of(e));
                    journal.add(slice);
                    everything.addAll(slice.deltas());
                } else if (action < 55) {
                    now++;
                } else if (action < 75) {
                    long cut = random.nextInt(6) == 0 ? Long.MAX_VALUE : now - random.nextInt(3);
                    SealedBatch b = entry.seal(cut);
                    if (b != null && (sealed == null || b.seq() != sealed.seq())) {
                        written = false;
                    }
                    sealed = b;
                } else if (action < 90) {
                    if (sealed != null) {
                        // The upsert of CounterWriter: only a newer batch advances the watermark and adds its counts.
                        if (sealed.seq() > watermark.lastSeq()) {
                            postgres.addAll(sealed.deltas());
                            watermark = new Watermark(sealed.seq(), sealed.cutMinute(),
                                    sealed.full() ? Math.max(watermark.fullSeq(), sealed.seq()) : watermark.fullSeq());
                        }
                        written = true;
                    }
                } else if (sealed != null && written) {
                    assertThat(sealed.acknowledged()).as("seed %d step %d: a batch carries the watermark acknowledged before it",
                            seed, step).isEqualTo(acknowledgedBefore);
                    entry.acknowledge(sealed.seq());
                    sealed = null;
                    assertThat(entry.acknowledged()).as("seed %d step %d: acknowledged watermark", seed, step).isEqualTo(watermark);
                    acknowledgedBefore = watermark;
                    // A failover to a standby that stopped at an earlier acknowledgement: the journal gives back exactly the rest (17.6).
                    if (!history.isEmpty()) {
                        Object[] lostFrom = history.get(random.nextInt(history.size()));
                        CounterDeltas repaired = new CounterDeltas();
                        repaired.addAll((CounterDeltas) lostFrom[1]);
                        for (AppliedSlice s : journal) {
                            repaired.addAll(s.deltasHeldByButNot(entry.acknowledged(), (Watermark) lostFrom[0]));
                        }
                        assertThat(repaired).as("seed %d step %d: PostgreSQL at %s plus the journal's lost part", seed, step, lostFrom[0])
                                .isEqualTo(postgres);
                    }
                    CounterDeltas copy = new CounterDeltas();
                    copy.addAll(postgres);
                    history.add(new Object[] {watermark, copy});
                }
                // A slice's answer changes only with the watermark (PostgreSQL changes with it), so all are
                // checked when it moves, and a new slice when it comes; the same checks as after every step.
                boolean moved = !watermark.equals(checkedAt);
                checkedAt = watermark;
                for (AppliedSlice s : moved ? journal : journal.subList(checkedSlices, journal.size())) {
                    boolean inPostgres = postgres.asMap().containsKey(s.events().get(0).counterKey());
                    if (s.heldBy(watermark) != inPostgres) { // asserted only when it fails: millions of checks
                        assertThat(s.heldBy(watermark)).as("seed %d step %d: slice of minute %d, seq %d, at %s",
                                seed, step, s.events().get(0).minute(), s.seq(), watermark).isEqualTo(inPostgres);
                    }
                }
                checkedSlices = journal.size();
                CounterDeltas reported = new CounterDeltas();
                reported.addAll(postgres);
                MemorySnapshot memory = entry.snapshot(CounterFilter.all());
                if (memory != null) {
                    reported.addAll(memory.unpersisted(watermark));
                }
                assertThat(reported).as("seed %d step %d: PostgreSQL plus memory", seed, step).isEqualTo(everything);
            }
            assertThat(journal).as("seed %d counted something", seed).isNotEmpty();
            assertThat(watermark.lastSeq()).as("seed %d wrote batches", seed).isPositive();
        }
    }

    @Test
    void aSealPendingWithACutSealsTheSameOnOwnerAndBackup() {
        var owner = TestEvents.emptyEntry(KEY);
        var backup = TestEvents.emptyEntry(KEY);
        ApplyBatch batch = new ApplyBatch(BATCH, 0, Map.of(KEY, List.of(
                impression(CAMPAIGN, BANNER, 1, ts(BASE_MINUTE - 1, 1), 1), impression(CAMPAIGN, BANNER, 2, ts(BASE_MINUTE, 1), 2))));
        batch.process(owner);
        batch.process(backup);
        SealPending seal = new SealPending(BASE_MINUTE, 17, BASE_MINUTE);

        SealedBatch fromOwner = seal.process(owner);
        SealedBatch fromBackup = seal.process(backup);

        assertThat(fromBackup.deltas()).isEqualTo(fromOwner.deltas());
        assertThat(fromBackup.cutMinute()).isEqualTo(fromOwner.cutMinute()).isEqualTo(BASE_MINUTE);
        assertThat(TestEvents.unpersisted(backup)).isEqualTo(TestEvents.unpersisted(owner));
    }
}
