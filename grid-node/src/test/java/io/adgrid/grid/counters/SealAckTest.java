package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
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

class SealAckTest {

    private static final int WINDOW = 17;
    private static final long GATEWAY = 0xACED_0002L;
    private static final long CAMPAIGN = 4;
    private static final long BANNER = 14;
    private static final long BANNER_KEY = RouteKeys.banner(BANNER);
    private static final long CAMPAIGN_KEY = RouteKeys.campaign(CAMPAIGN);
    private static final long ORDER_EXPIRY = BASE_MINUTE + 60;

    private long nextSequence = 1;

    private long[] apply(Map.Entry<Long, RouteState> entry, GridEvent... events) {
        return new ApplyBatch(new BatchId(GATEWAY, nextSequence++), ORDER_EXPIRY, Map.of(entry.getKey(), List.of(events)))
                .process(entry);
    }

    private static SealedBatch seal(Map.Entry<Long, RouteState> entry, long nowMinute) {
        return new SealPending(nowMinute, WINDOW).process(entry);
    }

    private static void acknowledge(Map.Entry<Long, RouteState> entry, long seq) {
        new AcknowledgeBatches(Map.of(entry.getKey(), seq)).process(entry);
    }

    private static CounterKey key(long minute) {
        return new CounterKey(minute, CAMPAIGN, BANNER, 7);
    }

    @Test
    void sealMovesPendingIntoASealedBatchWithSeqOne() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1), click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        MemorySnapshot before = new SnapshotCounters(CounterFilter.all()).process(entry);

        SealedBatch sealed = seal(entry, BASE_MINUTE);

        assertThat(sealed.seq()).isEqualTo(1);
        assertThat(sealed.epoch()).isEqualTo(before.epoch());
        assertThat(sealed.deltas().asMap()).containsOnly(Map.entry(key(BASE_MINUTE), new Counts(1, 1, 0, 0)));
        MemorySnapshot after = new SnapshotCounters(CounterFilter.all()).process(entry);
        // Nothing is pending any more: once PostgreSQL holds batch 1, memory has nothing to add.
        assertThat(after.unpersisted(Watermark.full(0))).isEqualTo(sealed.deltas());
        assertThat(after.unpersisted(Watermark.full(1)).isEmpty()).isTrue();
    }

    @Test
    void sealReturnsTheSameBatchUntilItIsAcknowledgedAndTheNextGetsSeqTwo() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        SealedBatch first = seal(entry, BASE_MINUTE);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 2), impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 3), 3));

        SealedBatch again = seal(entry, BASE_MINUTE);

        assertThat(again.seq()).isEqualTo(1);
        assertThat(again.epoch()).isEqualTo(first.epoch());
        assertThat(again.deltas().asMap()).containsOnly(Map.entry(key(BASE_MINUTE), new Counts(1, 0, 0, 0)));

        acknowledge(entry, 1);
        SealedBatch second = seal(entry, BASE_MINUTE);

        assertThat(second.seq()).isEqualTo(2);
        assertThat(second.epoch()).isEqualTo(first.epoch());
        assertThat(second.deltas().asMap()).containsOnly(Map.entry(key(BASE_MINUTE), new Counts(2, 0, 0, 0)));
    }

    @Test
    void sealWithNothingPendingReturnsNoBatch() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        acknowledge(entry, seal(entry, BASE_MINUTE).seq());

        assertThat(seal(entry, BASE_MINUTE)).isNull();
        assertThat(seal(emptyEntry(BANNER_KEY), BASE_MINUTE)).isNull();
    }

    @Test
    void acknowledgingAWrongSeqDoesNothing() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        SealedBatch sealed = seal(entry, BASE_MINUTE);

        acknowledge(entry, 2);
        acknowledge(entry, 0);
        new AcknowledgeBatches(Map.of(RouteKeys.banner(BANNER + 1), 1L)).process(entry);

        SealedBatch still = seal(entry, BASE_MINUTE);
        assertThat(still.seq()).isEqualTo(1);
        assertThat(still.deltas()).isEqualTo(sealed.deltas());
        assertThat(unpersisted(entry)).isEqualTo(sealed.deltas());
    }

    @Test
    void acknowledgedBatchLeavesNothingUnpersisted() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));

        acknowledge(entry, seal(entry, BASE_MINUTE).seq());

        assertThat(new SnapshotCounters(CounterFilter.all()).process(entry)).isNull();
        // The identities stay: a replay is still caught.
        assertThat(positions(apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1)))).containsExactly(0);
    }

    @Test
    void noncesOlderThanTheWindowAreForgottenAndTheirReplaysRefused() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent beacon = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        GridEvent recent = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE + 5, 1), 2);
        apply(entry, beacon, recent);
        acknowledge(entry, seal(entry, BASE_MINUTE + 5).seq());

        seal(entry, BASE_MINUTE + WINDOW + 2);

        assertThat(entry.getValue().rememberedNonces()).isEqualTo(1);
        // The entry forgot BASE_MINUTE: a replay of it is refused (422 at the gateway), never counted again.
        assertThat(TestEvents.withVerdict(apply(entry, beacon), ApplyBatch.TOO_OLD)).containsExactly(0);
        assertThat(positions(apply(entry, recent))).containsExactly(0);
        assertThat(unpersisted(entry).asMap()).isEmpty();
    }

    @Test
    void noncesInsideTheWindowAreKept() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent beacon = click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 59), 1);
        apply(entry, beacon);
        acknowledge(entry, seal(entry, BASE_MINUTE).seq());

        seal(entry, BASE_MINUTE + WINDOW);

        assertThat(entry.getValue()).isNotNull();
        assertThat(positions(apply(entry, beacon))).containsExactly(0);
        assertThat(unpersisted(entry).isEmpty()).isTrue();
    }

    @Test
    void ordersAreKeptUntilTheirExpiryMinuteAndForgottenAfter() {
        var entry = emptyEntry(CAMPAIGN_KEY);
        GridEvent order = sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), "order-1", 3_000_000);
        apply(entry, order);
        acknowledge(entry, seal(entry, BASE_MINUTE).seq());

        seal(entry, ORDER_EXPIRY);
        assertThat(positions(apply(entry, order))).containsExactly(0);

        seal(entry, ORDER_EXPIRY + 1);
        // Sales leave no beacon identities behind: with its order gone the entry holds nothing and is dropped.
        assertThat(entry.getValue()).isNull();
        assertThat(apply(entry, order)).isNull();
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(key(BASE_MINUTE), new Counts(0, 0, 1, 3_000_000)));
    }

    @Test
    void entryWithNothingLeftIsRemovedBySealPending() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        acknowledge(entry, seal(entry, BASE_MINUTE).seq());
        assertThat(entry.getValue()).isNotNull();

        assertThat(seal(entry, BASE_MINUTE + WINDOW + 2)).isNull();

        assertThat(entry.getValue()).isNull();
    }

    @Test
    void entryWithNothingLeftIsRemovedByItsAcknowledgement() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        // The identities expire in the same call that seals: only the sealed batch keeps the entry alive.
        SealedBatch sealed = seal(entry, BASE_MINUTE + WINDOW + 2);
        assertThat(entry.getValue()).isNotNull();

        acknowledge(entry, sealed.seq());

        assertThat(entry.getValue()).isNull();
    }

    @Test
    void entryWithPendingCountsIsNotRemovedEvenWhenItsIdentitiesExpired() {
        var entry = emptyEntry(BANNER_KEY);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1));
        SealedBatch first = seal(entry, BASE_MINUTE);
        apply(entry, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 2));
        acknowledge(entry, first.seq());

        SealedBatch second = seal(entry, BASE_MINUTE + WINDOW + 2);

        assertThat(second.seq()).isEqualTo(2);
        assertThat(entry.getValue()).isNotNull();
        assertThat(entry.getValue().rememberedNonces()).isZero();
        acknowledge(entry, second.seq());
        assertThat(entry.getValue()).isNull();
    }
}
