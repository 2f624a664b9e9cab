package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.RouteKeys;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.click;
import static io.adgrid.grid.counters.TestEvents.clickOf;
import static io.adgrid.grid.counters.TestEvents.emptyEntry;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.positions;
import static io.adgrid.grid.counters.TestEvents.suspects;
import static io.adgrid.grid.counters.TestEvents.ts;
import static io.adgrid.grid.counters.TestEvents.unpersisted;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fraud signals in the grid: a click lands in exactly one of clicks and suspect clicks, and keeps it. */
class SuspectClickTest {

    private static final long GATEWAY = 0x5EED_0002L;
    private static final long ORDER_EXPIRY = BASE_MINUTE + 24 * 60;
    private static final long CAMPAIGN = 3;
    private static final long BANNER = 13;
    private static final long BANNER_KEY = RouteKeys.banner(BANNER);
    private static final CounterKey KEY = new CounterKey(BASE_MINUTE, CAMPAIGN, BANNER, 7);

    private static ApplyBatch batch(long sequence, GridEvent... events) {
        return new ApplyBatch(new BatchId(GATEWAY, sequence), ORDER_EXPIRY, Map.of(BANNER_KEY, List.of(events)));
    }

    private static Counts counts(Map.Entry<Long, RouteState> entry) {
        return TestEvents.total(unpersisted(entry));
    }

    @Test
    void clickOfAnImpressionRecordedInAnEarlierBatchIsClean() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent shown = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1);
        batch(1, shown).process(entry);

        long[] answer = batch(2, clickOf(shown)).process(entry);

        assertThat(answer).isNull();
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(KEY, new Counts(1, 1, 0, 0, 0)));
    }

    @Test
    void clickWithoutAnImpressionIsCountedAsSuspectInsteadOfAsAClick() {
        var entry = emptyEntry(BANNER_KEY);

        long[] answer = batch(1, click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1)).process(entry);

        assertThat(positions(answer)).isEmpty();
        assertThat(suspects(answer)).containsExactly(0);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(KEY, new Counts(0, 0, 0, 0, 1)));
    }

    @Test
    void impressionOfAnotherRenderingDoesNotMakeAClickClean() {
        var entry = emptyEntry(BANNER_KEY);
        // Another nonce (other signature bits), and the same bits in another ts minute.
        batch(1, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1),
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE + 1, 10), 2)).process(entry);

        long[] answer = batch(2, click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 2)).process(entry);

        assertThat(suspects(answer)).containsExactly(0);
        assertThat(counts(entry)).isEqualTo(new Counts(2, 0, 0, 0, 1));
    }

    @Test
    void inOneBatchTheImpressionMustComeBeforeItsClick() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent first = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        GridEvent late = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 2);

        long[] answer = batch(1, first, clickOf(first), clickOf(late), late).process(entry);

        assertThat(positions(answer)).isEmpty();
        assertThat(suspects(answer)).containsExactly(2);
        assertThat(counts(entry)).isEqualTo(new Counts(2, 1, 0, 0, 1));
    }

    @Test
    void replayedSuspectClickIsADuplicateAndStaysSuspectEvenOnceItsImpressionArrives() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent shown = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        batch(1, clickOf(shown)).process(entry);
        batch(2, shown).process(entry);

        long[] answer = batch(3, clickOf(shown), clickOf(shown)).process(entry);

        assertThat(positions(answer)).containsExactly(0, 1);
        assertThat(suspects(answer)).isEmpty();
        assertThat(counts(entry)).isEqualTo(new Counts(1, 0, 0, 0, 1));
    }

    @Test
    void resentBatchClassifiesNothingAgainWhateverArrivedInBetween() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent shown = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        GridEvent clean = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 2);
        ApplyBatch original = batch(1, clean, clickOf(clean), clickOf(shown));
        assertThat(suspects(original.process(entry))).containsExactly(2);
        batch(2, shown).process(entry);
        Counts before = counts(entry);

        // The gateway did not get the answer and sends the same batch again.
        long[] again = batch(1, clean, clickOf(clean), clickOf(shown)).process(entry);

        assertThat(positions(again)).containsExactly(0, 1, 2);
        assertThat(counts(entry)).isEqualTo(before).isEqualTo(new Counts(2, 1, 0, 0, 1));
    }

    @Test
    void clickFlaggedByTheGatewayIsSuspectEvenWithItsImpression() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent shown = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);

        long[] answer = batch(1, shown, clickOf(shown).asSuspect()).process(entry);
        // The same click again, this time not over the IP rate: a duplicate, still suspect.
        long[] replay = batch(2, clickOf(shown)).process(entry);

        assertThat(suspects(answer)).containsExactly(1);
        assertThat(positions(replay)).containsExactly(0);
        assertThat(counts(entry)).isEqualTo(new Counts(1, 0, 0, 0, 1));
    }

    @Test
    void backupReplayingTheSameBatchesReachesTheSameCleanAndSuspectCounts() {
        var primary = emptyEntry(BANNER_KEY);
        var backup = emptyEntry(BANNER_KEY);
        GridEvent a = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        GridEvent b = impression(CAMPAIGN, BANNER, 8, ts(BASE_MINUTE, 2), 2);
        List<ApplyBatch> batches = List.of(batch(1, clickOf(b), a, clickOf(a)), batch(2, b, clickOf(b), clickOf(a).asSuspect()));

        for (var entry : List.of(primary, backup)) {
            batches.forEach(x -> x.process(entry));
        }

        assertThat(unpersisted(backup)).isEqualTo(unpersisted(primary));
        assertThat(counts(primary)).isEqualTo(new Counts(2, 1, 0, 0, 1));
    }

    @Test
    void findingTheImpressionAddsNoIdentityBeyondReplayDedup() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent[] events = new GridEvent[2_000];
        for (int i = 0; i < 1_000; i++) {
            events[2 * i] = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, i % 60), 10_000 + i);
            events[2 * i + 1] = i % 2 == 0 ? clickOf(events[2 * i]) : click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 20_000 + i);
        }

        batch(1, events).process(entry);

        // One identity per beacon, as replay dedup needs anyway: impressions 1,000, clicks 1,000.
        assertThat(entry.getValue().rememberedNonces()).isEqualTo(2_000);
        assertThat(counts(entry)).isEqualTo(new Counts(1_000, 500, 0, 0, 500));
    }
}
