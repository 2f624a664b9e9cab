package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.emptyEntry;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.sale;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import io.adgrid.grid.port.CounterFilter.Dimension;
import org.junit.jupiter.api.Test;

class MemorySnapshotTest {

    private static final long GATEWAY = 0xFACE_0003L;
    private static final CounterKey SEALED_KEY = new CounterKey(BASE_MINUTE, 1, 11, 7);
    private static final CounterKey PENDING_KEY = new CounterKey(BASE_MINUTE + 1, 1, 11, 7);

    private static CounterDeltas deltas(CounterKey key, Counts counts) {
        CounterDeltas d = new CounterDeltas();
        d.add(key, counts);
        return d;
    }

    private static MemorySnapshot snapshot(long sealedSeq, long pendingSeq) {
        return new MemorySnapshot(1, 2, sealedSeq, deltas(SEALED_KEY, new Counts(5, 1, 0, 0)),
                pendingSeq, deltas(PENDING_KEY, new Counts(3, 0, 0, 0)));
    }

    @Test
    void unpersistedIncludesThePartsWhoseSeqIsAboveTheWatermark() {
        MemorySnapshot s = snapshot(3, 4);

        assertThat(s.unpersisted(Watermark.full(0)).asMap()).containsOnlyKeys(SEALED_KEY, PENDING_KEY);
        assertThat(s.unpersisted(Watermark.full(2)).asMap()).containsOnlyKeys(SEALED_KEY, PENDING_KEY);
        assertThat(s.unpersisted(Watermark.full(3)).asMap()).containsOnly(Map.entry(PENDING_KEY, new Counts(3, 0, 0, 0)));
        assertThat(s.unpersisted(Watermark.full(4)).isEmpty()).isTrue();
        assertThat(s.unpersisted(Watermark.full(9)).isEmpty()).isTrue();
    }

    @Test
    void unpersistedAddsBothPartsWhenTheyShareACounterKey() {
        MemorySnapshot s = new MemorySnapshot(1, 2, 1, deltas(SEALED_KEY, new Counts(5, 1, 0, 0, 2)),
                2, deltas(SEALED_KEY, new Counts(3, 0, 1, 10, 1)));

        assertThat(s.unpersisted(Watermark.full(0)).asMap()).containsOnly(Map.entry(SEALED_KEY, new Counts(8, 1, 1, 10, 3)));
        assertThat(s.unpersisted(Watermark.full(1)).asMap()).containsOnly(Map.entry(SEALED_KEY, new Counts(3, 0, 1, 10, 1)));
    }

    @Test
    void snapshotOfARouteStateSplitsSealedAndPendingBySeq() {
        var entry = emptyEntry(RouteKeys.banner(11));
        new ApplyBatch(new BatchId(GATEWAY, 1), 0, Map.of(entry.getKey(), List.of(
                impression(1, 11, 7, ts(BASE_MINUTE, 1), 1)))).process(entry);
        SealedBatch sealed = new SealPending(BASE_MINUTE, 17).process(entry);
        new ApplyBatch(new BatchId(GATEWAY, 2), 0, Map.of(entry.getKey(), List.of(
                impression(1, 11, 7, ts(BASE_MINUTE + 1, 1), 2), impression(1, 11, 7, ts(BASE_MINUTE + 1, 2), 3)))).process(entry);

        MemorySnapshot s = new SnapshotCounters(CounterFilter.all()).process(entry);

        assertThat(s.epoch()).isEqualTo(sealed.epoch());
        assertThat(s.unpersisted(Watermark.full(0)).asMap()).containsOnly(
                Map.entry(SEALED_KEY, new Counts(1, 0, 0, 0)), Map.entry(PENDING_KEY, new Counts(2, 0, 0, 0)));
        // PostgreSQL holds batch 1 (written, not yet acknowledged): only the pending part is missing there.
        assertThat(s.unpersisted(Watermark.full(1)).asMap()).containsOnly(Map.entry(PENDING_KEY, new Counts(2, 0, 0, 0)));
        assertThat(s.unpersisted(Watermark.full(2)).isEmpty()).isTrue();
    }

    @Test
    void campaignSumsAddEveryBannerAndPublisherOfACampaignPerMinuteAndKeepTheSealedPendingSplit() {
        var entry = emptyEntry(RouteKeys.banner(11));
        new ApplyBatch(new BatchId(GATEWAY, 1), 0, Map.of(entry.getKey(), List.of(
                impression(1, 11, 7, ts(BASE_MINUTE, 1), 1), impression(1, 11, 8, ts(BASE_MINUTE, 2), 2),
                impression(2, 11, 7, ts(BASE_MINUTE, 3), 3)))).process(entry);
        new SealPending(BASE_MINUTE, 17).process(entry);
        new ApplyBatch(new BatchId(GATEWAY, 2), 0, Map.of(entry.getKey(), List.of(
                impression(1, 11, 9, ts(BASE_MINUTE + 1, 1), 4), impression(1, 11, 7, ts(BASE_MINUTE + 2, 1), 5),
                impression(3, 11, 7, ts(BASE_MINUTE + 1, 2), 6)))).process(entry);

        MemorySnapshot s = new SnapshotCampaignSums(new long[] {3, 1}, BASE_MINUTE, BASE_MINUTE + 2).process(entry);

        // campaign 2 was not asked for, minute +2 is outside the range; publishers 7 and 8 are summed
        assertThat(s.unpersisted(Watermark.full(0)).asMap()).containsOnly(
                Map.entry(new CounterKey(BASE_MINUTE, 1, 0, 0), new Counts(2, 0, 0, 0)),
                Map.entry(new CounterKey(BASE_MINUTE + 1, 1, 0, 0), new Counts(1, 0, 0, 0)),
                Map.entry(new CounterKey(BASE_MINUTE + 1, 3, 0, 0), new Counts(1, 0, 0, 0)));
        assertThat(s.unpersisted(Watermark.full(1)).asMap()).containsOnlyKeys(
                new CounterKey(BASE_MINUTE + 1, 1, 0, 0), new CounterKey(BASE_MINUTE + 1, 3, 0, 0));
        assertThat(new SnapshotCampaignSums(new long[] {4}, Long.MIN_VALUE, Long.MAX_VALUE).process(entry)).isNull();
    }

    @Test
    void snapshotIsACopyThatLaterBatchesDoNotChange() {
        var entry = emptyEntry(RouteKeys.banner(11));
        new ApplyBatch(new BatchId(GATEWAY, 1), 0, Map.of(entry.getKey(), List.of(
                impression(1, 11, 7, ts(BASE_MINUTE, 1), 1)))).process(entry);
        MemorySnapshot s = new SnapshotCounters(CounterFilter.all()).process(entry);

        new ApplyBatch(new BatchId(GATEWAY, 2), 0, Map.of(entry.getKey(), List.of(
                impression(1, 11, 7, ts(BASE_MINUTE, 2), 2)))).process(entry);

        assertThat(s.unpersisted(Watermark.full(0)).asMap()).containsOnly(Map.entry(SEALED_KEY, new Counts(1, 0, 0, 0)));
    }

    @Test
    void snapshotCountersHonoursTheFilter() {
        // A campaign entry (sales) spans banners, publishers and minutes; half of it sealed, half pending.
        var entry = emptyEntry(RouteKeys.campaign(1));
        new ApplyBatch(new BatchId(GATEWAY, 1), BASE_MINUTE + 600, Map.of(entry.getKey(), List.of(
                sale(1, 11, 7, ts(BASE_MINUTE, 1), "o1", 1),
                sale(1, 12, 7, ts(BASE_MINUTE + 1, 1), "o2", 10),
                sale(1, 11, 8, ts(BASE_MINUTE + 2, 1), "o3", 100)))).process(entry);
        new SealPending(BASE_MINUTE, 17).process(entry);
        new ApplyBatch(new BatchId(GATEWAY, 2), BASE_MINUTE + 600, Map.of(entry.getKey(), List.of(
                sale(1, 12, 8, ts(BASE_MINUTE, 2), "o4", 1_000),
                sale(1, 11, 7, ts(BASE_MINUTE + 3, 2), "o5", 10_000)))).process(entry);

        assertThat(revenue(entry, CounterFilter.all())).isEqualTo(11_111);
        assertThat(revenue(entry, new CounterFilter(Dimension.CAMPAIGN, 1, Long.MIN_VALUE, Long.MAX_VALUE))).isEqualTo(11_111);
        assertThat(revenue(entry, new CounterFilter(Dimension.CAMPAIGN, 2, Long.MIN_VALUE, Long.MAX_VALUE))).isNull();
        assertThat(revenue(entry, new CounterFilter(Dimension.BANNER, 11, Long.MIN_VALUE, Long.MAX_VALUE))).isEqualTo(10_101);
        assertThat(revenue(entry, new CounterFilter(Dimension.BANNER, 12, Long.MIN_VALUE, Long.MAX_VALUE))).isEqualTo(1_010);
        assertThat(revenue(entry, new CounterFilter(Dimension.PUBLISHER, 8, Long.MIN_VALUE, Long.MAX_VALUE))).isEqualTo(1_100);
        // [from, to): from is inclusive, to exclusive.
        assertThat(revenue(entry, new CounterFilter(Dimension.ALL, 0, BASE_MINUTE + 1, BASE_MINUTE + 3))).isEqualTo(110);
        assertThat(revenue(entry, new CounterFilter(Dimension.ALL, 0, BASE_MINUTE, BASE_MINUTE + 1))).isEqualTo(1_001);
        assertThat(revenue(entry, new CounterFilter(Dimension.BANNER, 11, BASE_MINUTE + 2, BASE_MINUTE + 4))).isEqualTo(10_100);
        assertThat(revenue(entry, new CounterFilter(Dimension.ALL, 0, BASE_MINUTE + 4, BASE_MINUTE + 60))).isNull();
    }

    @Test
    void snapshotOfAMissingEntryIsNull() {
        assertThat(new SnapshotCounters(CounterFilter.all()).process(emptyEntry(RouteKeys.banner(11)))).isNull();
    }

    /** Revenue of what the filter selects, null when the snapshot has nothing for it. */
    private static Long revenue(Map.Entry<Long, RouteState> entry, CounterFilter filter) {
        MemorySnapshot s = new SnapshotCounters(filter).process(entry);
        if (s == null) {
            return null;
        }
        CounterDeltas d = s.unpersisted(Watermark.full(0));
        d.asMap().keySet().forEach(k -> assertThat(filter.test(k)).as("%s passes %s", k, filter).isTrue());
        return TestEvents.total(d).revenueMicros;
    }
}
