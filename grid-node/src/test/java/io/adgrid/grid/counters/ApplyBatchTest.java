package io.adgrid.grid.counters;

import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.journal.SliceRecorder;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MoneyBounds;
import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.port.SealedBatch;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.click;
import static io.adgrid.grid.counters.TestEvents.emptyEntry;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.positions;
import static io.adgrid.grid.counters.TestEvents.sale;
import static io.adgrid.grid.counters.TestEvents.ts;
import static io.adgrid.grid.counters.TestEvents.unpersisted;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApplyBatchTest {

    private static final long GATEWAY = 0x5EED_0001L;
    private static final long ORDER_EXPIRY = BASE_MINUTE + 7 * 24 * 60;
    private static final long CAMPAIGN = 3;
    private static final long BANNER = 13;
    private static final long BANNER_KEY = RouteKeys.banner(BANNER);
    private static final long CAMPAIGN_KEY = RouteKeys.campaign(CAMPAIGN);

    private static ApplyBatch batch(long sequence, long key, GridEvent... events) {
        return new ApplyBatch(new BatchId(GATEWAY, sequence), ORDER_EXPIRY, Map.of(key, List.of(events)));
    }

    private static CounterKey key(long minute, long publisher) {
        return new CounterKey(minute, CAMPAIGN, BANNER, publisher);
    }

    @Test
    void impressionsAndClicksAreCountedIntoPendingUnderTheirMinute() {
        var entry = emptyEntry(BANNER_KEY);

        long[] duplicates = batch(1, BANNER_KEY,
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 0), 1),
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 59) + 999, 2),
                click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 0), 1),
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE + 1, 0), 4),
                impression(CAMPAIGN, BANNER, 8, ts(BASE_MINUTE, 10), 5)).process(entry);

        assertThat(duplicates).isNull();
        assertThat(entry.getValue()).isNotNull();
        assertThat(unpersisted(entry).asMap()).containsOnly(
                Map.entry(key(BASE_MINUTE, 7), new Counts(2, 1, 0, 0)),
                Map.entry(key(BASE_MINUTE + 1, 7), new Counts(1, 0, 0, 0)),
                Map.entry(key(BASE_MINUTE, 8), new Counts(1, 0, 0, 0)));
        // Everything went to pending: sealing now yields exactly these counts as batch 1.
        SealedBatch sealed = new SealPending(BASE_MINUTE, 17).process(entry);
        assertThat(sealed.seq()).isEqualTo(1);
        assertThat(TestEvents.total(sealed.deltas())).isEqualTo(new Counts(4, 1, 0, 0));
    }

    @Test
    void identitiesLoadedAgainAreJournaledEvenWhenTheEntryKnowsThem() {
        // Issue 18, seed 21: a reload that found the identities already in memory journaled none of them;
        // the journal it came from was deleted, and the identities died with that memory.
        var entry = emptyEntry(BANNER_KEY);
        GridEvent seen = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 0), 1);
        GridEvent order = sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), "A-1", 2_000_000);
        batch(1, BANNER_KEY, seen, order).process(entry);

        SliceRecorder.begin();
        long[] answer;
        List<AppliedSlice> journaled;
        try {
            answer = ApplyBatch.identitiesOnly(new BatchId(GATEWAY, 2), ORDER_EXPIRY, Map.of(BANNER_KEY, List.of(seen, order)))
                    .process(entry);
        } finally {
            journaled = SliceRecorder.end();
        }
        assertThat(ApplyBatch.isDuplicate(answer, 0)).isTrue();
        assertThat(ApplyBatch.isDuplicate(answer, 1)).isTrue();
        assertThat(journaled).singleElement().satisfies(slice -> {
            assertThat(slice.identitiesOnly()).isTrue();
            assertThat(slice.events()).containsExactly(seen, order);
        });
    }

    @Test
    void minuteIsTheFloorOfTheTimestampInMinutes() {
        var entry = emptyEntry(BANNER_KEY);

        batch(1, BANNER_KEY,
                impression(CAMPAIGN, BANNER, 7, 59_999, 1),
                impression(CAMPAIGN, BANNER, 7, 60_000, 2),
                impression(CAMPAIGN, BANNER, 7, -1, 3)).process(entry);

        assertThat(unpersisted(entry).asMap()).containsOnlyKeys(key(0, 7), key(1, 7), key(-1, 7));
    }

    @Test
    void sameBeaconTwiceInOneBatchIsCountedOnceAndReportedAsDuplicate() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent beacon = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), 42);

        long[] duplicates = batch(1, BANNER_KEY,
                beacon, TestEvents.clickOf(beacon), beacon).process(entry);

        assertThat(positions(duplicates)).containsExactly(2);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE, 7), new Counts(1, 1, 0, 0)));
    }

    @Test
    void sameBeaconInALaterBatchIsCountedOnceAndReportedAsDuplicate() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent beacon = click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), 42);
        batch(1, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), 42),
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 6), 44), beacon).process(entry);

        long[] duplicates = batch(2, BANNER_KEY,
                click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 6), 44), beacon).process(entry);

        assertThat(positions(duplicates)).containsExactly(1);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE, 7), new Counts(2, 2, 0, 0)));
    }

    @Test
    void duplicatePositionsBeyondTheFirstWordAreReported() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent[] events = new GridEvent[130];
        for (int i = 0; i < 128; i++) {
            events[i] = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1000 + i);
        }
        events[128] = events[3];
        events[129] = events[70];

        long[] duplicates = batch(1, BANNER_KEY, events).process(entry);

        assertThat(positions(duplicates)).containsExactly(128, 129);
        assertThat(TestEvents.total(unpersisted(entry)).impressions).isEqualTo(128);
    }

    @Test
    void sameIdWithADifferentTypeCountsSeparately() {
        var entry = emptyEntry(BANNER_KEY);

        long[] duplicates = batch(1, BANNER_KEY,
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), 42),
                click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), 42)).process(entry);

        assertThat(duplicates).isNull();
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE, 7), new Counts(1, 1, 0, 0)));
    }

    @Test
    void saleCountsAConversionAndItsRevenue() {
        var entry = emptyEntry(CAMPAIGN_KEY);

        long[] duplicates = batch(1, CAMPAIGN_KEY,
                sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), "order-1", 2_500_000),
                sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 9), "order-2", 1_000_001),
                sale(CAMPAIGN, BANNER + 10, 8, ts(BASE_MINUTE, 9), "order-3", 7)).process(entry);

        assertThat(duplicates).isNull();
        assertThat(unpersisted(entry).asMap()).containsOnly(
                Map.entry(key(BASE_MINUTE, 7), new Counts(0, 0, 2, 3_500_001)),
                Map.entry(new CounterKey(BASE_MINUTE, CAMPAIGN, BANNER + 10, 8), new Counts(0, 0, 1, 7)));
    }

    @Test
    void sameOrderInALaterBatchIsADuplicate() {
        var entry = emptyEntry(CAMPAIGN_KEY);
        batch(1, CAMPAIGN_KEY, sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), "order-1", 2_500_000)).process(entry);

        long[] duplicates = batch(2, CAMPAIGN_KEY,
                sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 8), "order-1", 9_000_000)).process(entry);

        assertThat(positions(duplicates)).containsExactly(0);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE, 7), new Counts(0, 0, 1, 2_500_000)));
    }

    @Test
    void sameOrderTwiceInOneBatchCountsOnceAndTheSecondIsADuplicate() {
        var entry = emptyEntry(CAMPAIGN_KEY);

        long[] duplicates = batch(1, CAMPAIGN_KEY,
                sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), "order-1", 2_500_000),
                sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 6), "order-2", 1_000_000),
                sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 7), "order-1", 2_500_000)).process(entry);

        assertThat(positions(duplicates)).containsExactly(2);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE, 7), new Counts(0, 0, 2, 3_500_000)));
    }

    @Test
    void resentBatchCountsNothingTwiceAndAnswersItsSaleAsTheOriginal() {
        var banner = emptyEntry(BANNER_KEY);
        var campaign = emptyEntry(CAMPAIGN_KEY);
        ApplyBatch original = new ApplyBatch(new BatchId(GATEWAY, 5), ORDER_EXPIRY, Map.of(
                BANNER_KEY, List.of(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1),
                        click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1)),
                CAMPAIGN_KEY, List.of(sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 3), "order-1", 4_000_000),
                        sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 4), "order-1", 4_000_000),
                        sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 4), "order-2", 1_000_000))));
        assertThat(positions(original.process(banner))).isEmpty();
        assertThat(positions(original.process(campaign))).containsExactly(1);
        CounterDeltas before = unpersisted(banner);
        before.addAll(unpersisted(campaign));

        // The gateway did not get the answer and sends the same batch again (a copy with the same BatchId).
        ApplyBatch resent = new ApplyBatch(original.batchId(), ORDER_EXPIRY, Map.of(
                BANNER_KEY, List.of(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1),
                        click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1)),
                CAMPAIGN_KEY, List.of(sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 3), "order-1", 4_000_000),
                        sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 4), "order-1", 4_000_000),
                        sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 4), "order-2", 1_000_000))));
        resent.process(banner);
        long[] saleDuplicates = resent.process(campaign);

        // The sales are answered as the first time: the second post of order-1 stays the only duplicate.
        assertThat(positions(saleDuplicates)).containsExactly(1);
        CounterDeltas after = unpersisted(banner);
        after.addAll(unpersisted(campaign));
        assertThat(after).isEqualTo(before);
        assertThat(TestEvents.total(after)).isEqualTo(new Counts(1, 1, 2, 5_000_000));
    }

    @Test
    void resentBatchStillAnswersAnOrderCountedByAnotherBatchAsDuplicate() {
        var entry = emptyEntry(CAMPAIGN_KEY);
        batch(1, CAMPAIGN_KEY, sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), "order-1", 2_500_000)).process(entry);
        ApplyBatch later = batch(2, CAMPAIGN_KEY, sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 6), "order-1", 2_500_000));
        assertThat(positions(later.process(entry))).containsExactly(0);

        long[] resent = later.process(entry);

        assertThat(positions(resent)).containsExactly(0);
        // Another gateway's batch with the same sequence number is not the same batch either.
        long[] otherGateway = new ApplyBatch(new BatchId(GATEWAY + 1, 1), ORDER_EXPIRY, Map.of(CAMPAIGN_KEY,
                List.of(sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 5), "order-1", 2_500_000)))).process(entry);
        assertThat(positions(otherGateway)).containsExactly(0);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE, 7), new Counts(0, 0, 1, 2_500_000)));
    }

    @Test
    void newEntryEpochIsDeterministicSoABackupReplayingTheBatchAgrees() {
        var primary = emptyEntry(BANNER_KEY);
        var backup = emptyEntry(BANNER_KEY);
        GridEvent e1 = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        GridEvent e2 = click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 2);

        batch(9, BANNER_KEY, e1, e2, e1).process(primary);
        batch(9, BANNER_KEY, e1, e2, e1).process(backup);

        SealedBatch fromPrimary = new SealPending(BASE_MINUTE, 17).process(primary);
        SealedBatch fromBackup = new SealPending(BASE_MINUTE, 17).process(backup);
        assertThat(fromBackup.epoch()).isEqualTo(fromPrimary.epoch());
        assertThat(fromBackup.seq()).isEqualTo(fromPrimary.seq());
        assertThat(fromBackup.deltas()).isEqualTo(fromPrimary.deltas());
    }

    @Test
    void anotherBatchOrAnotherKeyStartsAnotherEpoch() {
        GridEvent e = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        var first = emptyEntry(BANNER_KEY);
        var laterBatch = emptyEntry(BANNER_KEY);
        var otherGateway = emptyEntry(BANNER_KEY);
        var otherKey = emptyEntry(RouteKeys.banner(BANNER + 1));
        batch(9, BANNER_KEY, e).process(first);
        batch(10, BANNER_KEY, e).process(laterBatch);
        new ApplyBatch(new BatchId(GATEWAY + 1, 9), ORDER_EXPIRY, Map.of(BANNER_KEY, List.of(e))).process(otherGateway);
        batch(9, otherKey.getKey(), e).process(otherKey);

        SealPending seal = new SealPending(BASE_MINUTE, 17);
        assertThat(List.of(seal.process(first).epoch(), seal.process(laterBatch).epoch(),
                seal.process(otherGateway).epoch(), seal.process(otherKey).epoch())).doesNotHaveDuplicates();
    }

    @Test
    void existingEntryKeepsItsEpochAcrossBatches() {
        var entry = emptyEntry(BANNER_KEY);
        batch(1, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1)).process(entry);
        SealPending seal = new SealPending(BASE_MINUTE, 17);
        SealedBatch first = seal.process(entry);
        new AcknowledgeBatches(Map.of(BANNER_KEY, first.seq())).process(entry);

        batch(2, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 2)).process(entry);
        SealedBatch second = seal.process(entry);

        assertThat(second.epoch()).isEqualTo(first.epoch());
        assertThat(second.seq()).isEqualTo(2);
    }

    @Test
    void keyWithoutEventsInTheBatchIsLeftAlone() {
        var entry = emptyEntry(BANNER_KEY);

        long[] duplicates = batch(1, RouteKeys.banner(99), impression(CAMPAIGN, 99, 7, ts(BASE_MINUTE, 1), 1)).process(entry);

        assertThat(duplicates).isNull();
        assertThat(entry.getValue()).isNull();
    }

    @Test
    void anOwnerStampedBatchRefusesEventsOlderThanItsWindowButStillKnowsItsOwnReplays() {
        var entry = emptyEntry(BANNER_KEY);
        ReplayWindow window = ReplayWindow.defaults();
        GridEvent recent = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE + 10, 0), 1);
        GridEvent old = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 0), 2);

        long[] answer = batch(1, BANNER_KEY, recent, old).stamped(ts(BASE_MINUTE + 20, 0), window).process(entry);
        assertThat(TestEvents.withVerdict(answer, ApplyBatch.TOO_OLD)).containsExactly(1);
        // The same batch re-sent once the recent beacon is past the window too: a duplicate, not a refusal.
        long[] again = batch(1, BANNER_KEY, recent).stamped(ts(BASE_MINUTE + 26, 0), window).process(entry);
        assertThat(positions(again)).containsExactly(0);
        assertThat(TestEvents.total(unpersisted(entry))).isEqualTo(new Counts(1, 0, 0, 0));
    }

    @Test
    void eventsOfAForgottenMinuteAreRefusedWhateverTheCallersClock() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent e = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 0), 1);
        batch(1, BANNER_KEY, e).process(entry);
        new SealPending(BASE_MINUTE + 19, 17).process(entry);

        // Unstamped (no clock at all): the entry itself knows it forgot BASE_MINUTE.
        long[] answer = batch(2, BANNER_KEY, e).process(entry);
        assertThat(TestEvents.withVerdict(answer, ApplyBatch.TOO_OLD)).containsExactly(0);
        assertThat(TestEvents.total(unpersisted(entry))).isEqualTo(new Counts(1, 0, 0, 0));
    }

    @Test
    void salesPastTheKeysRevenueBoundAreRefusedAndOtherKeysStillTakeSales() {
        var entry = emptyEntry(CAMPAIGN_KEY);
        long max = MoneyBounds.MAX_EVENT_MICROS;
        int fit = (int) (MoneyBounds.MAX_KEY_MICROS / max);
        GridEvent[] sales = new GridEvent[fit + 2];
        for (int i = 0; i <= fit; i++) {
            sales[i] = sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 0), "o" + i, max);
        }
        sales[fit + 1] = sale(CAMPAIGN, BANNER, 8, ts(BASE_MINUTE, 0), "other", max);

        long[] answer = batch(1, CAMPAIGN_KEY, sales).process(entry);

        assertThat(TestEvents.withVerdict(answer, ApplyBatch.OVER_KEY_LIMIT)).containsExactly(fit);
        assertThat(unpersisted(entry).asMap()).containsOnly(
                Map.entry(key(BASE_MINUTE, 7), new Counts(0, 0, fit, MoneyBounds.MAX_KEY_MICROS)),
                Map.entry(key(BASE_MINUTE, 8), new Counts(0, 0, 1, max)));
        // The refused order was not remembered: posted again with an amount that fits elsewhere, it counts.
        long[] later = batch(2, CAMPAIGN_KEY, sale(CAMPAIGN, BANNER, 9, ts(BASE_MINUTE, 0), "o" + fit, 1)).process(entry);
        assertThat(later).isNull();
    }
}
