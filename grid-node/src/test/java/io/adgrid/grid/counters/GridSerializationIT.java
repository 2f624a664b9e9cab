package io.adgrid.grid.counters;

import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.journal.SliceRecorder;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
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

import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import io.adgrid.grid.port.CounterFilter.Dimension;
import io.adgrid.grid.hazelcast.SerializationRoundTrip;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every grid type written and read back through the member's own serialization service behaves as before. */
class GridSerializationIT {

    private static final long GATEWAY = 0xBEEF_0004L;
    private static final long CAMPAIGN = 5;
    private static final long BANNER = 15;
    private static final long BANNER_KEY = RouteKeys.banner(BANNER);
    private static final long CAMPAIGN_KEY = RouteKeys.campaign(CAMPAIGN);
    private static final long ORDER_EXPIRY = BASE_MINUTE + 600;

    private static HazelcastInstance member;
    private static SerializationRoundTrip serialization;

    @BeforeAll
    static void startMember() {
        member = GridMember.start(new GridSettings("test-serialization-" + UUID.randomUUID(),
                GridSettings.parseMembers(TestPorts.members(5710, 3)), TestPorts.of(5710), false, 31, 1));
        serialization = new SerializationRoundTrip(member);
    }

    @AfterAll
    static void stopMember() {
        if (member != null) {
            member.shutdown();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T object) {
        Object copy = serialization.copy(object);
        assertThat(copy).isNotSameAs(object).isInstanceOf(object.getClass());
        return (T) copy;
    }

    private static Map.Entry<Long, RouteState> copyOf(Map.Entry<Long, RouteState> entry) {
        return new AbstractMap.SimpleEntry<>(entry.getKey(), roundTrip(entry.getValue()));
    }

    private static ApplyBatch batch(long sequence, long key, GridEvent... events) {
        return new ApplyBatch(new BatchId(GATEWAY, sequence), ORDER_EXPIRY, Map.of(key, List.of(events)));
    }

    @Test
    void theOwnersGridLifeTravelsWithTheSealAndTheBatchItSeals() {
        var banner = emptyEntry(BANNER_KEY);
        batch(1, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1)).process(banner);
        UUID life = UUID.randomUUID();

        SealedBatch sealed = roundTrip(new SealPending(BASE_MINUTE, 17).inLife(life)).process(banner);

        assertThat(sealed.life()).isEqualTo(life);
        assertThat(roundTrip(sealed).life()).isEqualTo(life);
        assertThat(roundTrip(new SealPending(BASE_MINUTE, 17)).process(banner).life()).as("no journal, no life").isNull();
    }

    @Test
    void routeStateWithSealedPendingNoncesAndOrdersBehavesTheSameAfterARoundTrip() {
        GridEvent beacon = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1);
        GridEvent laterBeacon = click(CAMPAIGN, BANNER, 8, ts(BASE_MINUTE + 1, 1), 2);
        var banner = emptyEntry(BANNER_KEY);
        batch(1, BANNER_KEY, beacon).process(banner);
        SealedBatch sealed = new SealPending(BASE_MINUTE, 17).process(banner);
        batch(2, BANNER_KEY, laterBeacon).process(banner);

        var copy = copyOf(banner);

        assertThat(unpersisted(copy)).isEqualTo(unpersisted(banner));
        MemorySnapshot original = new SnapshotCounters(CounterFilter.all()).process(banner);
        MemorySnapshot copied = new SnapshotCounters(CounterFilter.all()).process(copy);
        assertThat(copied.epoch()).isEqualTo(original.epoch());
        for (long watermark = 0; watermark <= 3; watermark++) {
            assertThat(copied.unpersisted(Watermark.full(watermark))).isEqualTo(original.unpersisted(Watermark.full(watermark)));
        }
        assertThat(copy.getValue().rememberedNonces()).isEqualTo(2);
        assertThat(copy.getValue().pendingKeys()).isEqualTo(banner.getValue().pendingKeys());
        assertThat(copy.getValue().revision()).as("revision, what a split's heal compares").isEqualTo(banner.getValue().revision()).isEqualTo(3);
        // Replays are still caught, by both identities.
        assertThat(positions(batch(3, BANNER_KEY, beacon, laterBeacon).process(copy))).containsExactly(0, 1);
        // The sealed batch is the same one, and the next one continues its sequence in the same epoch.
        SealedBatch sealedAgain = new SealPending(BASE_MINUTE, 17).process(copy);
        assertThat(sealedAgain.epoch()).isEqualTo(sealed.epoch());
        assertThat(sealedAgain.seq()).isEqualTo(1);
        assertThat(sealedAgain.deltas()).isEqualTo(sealed.deltas());
        new AcknowledgeBatches(Map.of(BANNER_KEY, 1L)).process(copy);
        SealedBatch next = new SealPending(BASE_MINUTE, 17).process(copy);
        assertThat(next.epoch()).isEqualTo(sealed.epoch());
        assertThat(next.seq()).isEqualTo(2);
        // The later click had no impression: a suspect click, and it stays one across the round trip.
        assertThat(TestEvents.total(next.deltas())).isEqualTo(new Counts(0, 0, 0, 0, 1));
        // Identities keep their minutes: expiring drops the older one only.
        new SealPending(BASE_MINUTE + 17 + 2, 17).process(copy);
        assertThat(copy.getValue().rememberedNonces()).isEqualTo(1);
    }

    @Test
    void aPartialSealKeepsItsCutAcrossRoundTrips() {
        var banner = emptyEntry(BANNER_KEY);
        batch(1, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE - 1, 1), 1),
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 2)).process(banner);
        SealedBatch sealed = new SealPending(BASE_MINUTE, 17, BASE_MINUTE).process(banner);

        var copy = copyOf(banner);
        SealedBatch again = new SealPending(BASE_MINUTE, 17, BASE_MINUTE).process(copy);
        assertThat(again.cutMinute()).isEqualTo(BASE_MINUTE);
        assertThat(again.deltas()).isEqualTo(sealed.deltas());
        new AcknowledgeBatches(Map.of(BANNER_KEY, sealed.seq())).process(copy);
        batch(2, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE - 1, 2), 3)).process(copy);

        // A member with a clock behind asks for an earlier cut: the copy still knows the last one.
        SealedBatch late = new SealPending(BASE_MINUTE, 17, BASE_MINUTE - 1).process(copyOf(copy));
        assertThat(late.cutMinute()).isEqualTo(BASE_MINUTE);
        assertThat(late.deltas().asMap().keySet()).extracting(CounterKey::minute).containsOnly(BASE_MINUTE - 1);
        assertThat(roundTrip(late).cutMinute()).isEqualTo(BASE_MINUTE);
    }

    @Test
    void routeStateOrdersSurviveARoundTripWithTheBatchThatRecordedThem() {
        GridEvent order = sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), "order-1", 12_345_678);
        var campaign = emptyEntry(CAMPAIGN_KEY);
        ApplyBatch first = batch(1, CAMPAIGN_KEY, order);
        first.process(campaign);

        var copy = copyOf(campaign);

        assertThat(unpersisted(copy)).isEqualTo(unpersisted(campaign));
        // A re-send of the recording batch is still the original; any other batch is a duplicate.
        assertThat(first.process(copy)).isNull();
        assertThat(positions(batch(2, CAMPAIGN_KEY, order).process(copy))).containsExactly(0);
        assertThat(TestEvents.total(unpersisted(copy))).isEqualTo(new Counts(0, 0, 1, 12_345_678));
        // The order's retention survives too.
        new SealPending(ORDER_EXPIRY, 17).process(copy);
        assertThat(positions(batch(3, CAMPAIGN_KEY, order).process(copy))).containsExactly(0);
        new AcknowledgeBatches(Map.of(CAMPAIGN_KEY, 1L)).process(copy);
        new SealPending(ORDER_EXPIRY + 1, 17).process(copy);
        assertThat(copy.getValue()).isNull();
    }

    @Test
    void applyBatchAppliesTheSameAfterARoundTrip() {
        ApplyBatch original = new ApplyBatch(new BatchId(GATEWAY, 77), ORDER_EXPIRY, Map.of(
                BANNER_KEY, List.of(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1),
                        click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 1),
                        impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1),
                        impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 3), 5),
                        // Flagged by the gateway (IP rate): suspect although its impression is there.
                        click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 3), 5).asSuspect(),
                        click(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 4), 6)),
                CAMPAIGN_KEY, List.of(sale(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 3), "order-ü€", 999_999),
                        sale(CAMPAIGN, BANNER, 9, ts(BASE_MINUTE, 4), "order-ü€", 1))));

        ApplyBatch copy = roundTrip(original);
        var applied = emptyEntry(BANNER_KEY);
        copy.process(applied);
        assertThat(TestEvents.total(unpersisted(applied))).isEqualTo(new Counts(2, 1, 0, 0, 2));

        assertThat(copy.batchId()).isEqualTo(original.batchId());
        assertThat(copy.keys()).containsExactlyInAnyOrderElementsOf(original.keys());
        for (long key : List.of(BANNER_KEY, CAMPAIGN_KEY)) {
            var byOriginal = emptyEntry(key);
            var byCopy = emptyEntry(key);
            assertThat(positions(copy.process(byCopy))).isEqualTo(positions(original.process(byOriginal)));
            assertThat(unpersisted(byCopy)).isEqualTo(unpersisted(byOriginal));
            // Same batch id and expiry: the copy is the same batch, so it creates the same epoch and is
            // recognised as the original by the sales it recorded.
            assertThat(positions(original.process(byCopy))).isEqualTo(positions(original.process(byOriginal)));
            assertThat(new SealPending(BASE_MINUTE, 17).process(byCopy).epoch())
                    .isEqualTo(new SealPending(BASE_MINUTE, 17).process(byOriginal).epoch());
        }
    }

    @Test
    void anIdentitiesOnlyBatchKeepsWhetherItIsJournaledAfterARoundTrip() {
        Map<Long, List<GridEvent>> events = Map.of(BANNER_KEY, List.of(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1)));
        for (boolean journaled : new boolean[] {true, false}) {
            ApplyBatch original = journaled ? ApplyBatch.identitiesOnly(new BatchId(GATEWAY, 78), ORDER_EXPIRY, events)
                    : ApplyBatch.identitiesStillJournaled(new BatchId(GATEWAY, 78), ORDER_EXPIRY, events);
            ApplyBatch copy = roundTrip(original);
            assertThat(copy.identitiesOnly()).isTrue();
            SliceRecorder.begin();
            List<AppliedSlice> recorded;
            try {
                copy.process(emptyEntry(BANNER_KEY));
            } finally {
                recorded = SliceRecorder.end();
            }
            assertThat(recorded).as("slices journaled by an identities-only batch, journaled: %s", journaled).hasSize(journaled ? 1 : 0);
        }
    }

    @Test
    void sealedBatchAndMemorySnapshotKeepTheirCountsAfterARoundTrip() {
        CounterDeltas deltas = new CounterDeltas();
        deltas.add(new CounterKey(BASE_MINUTE, CAMPAIGN, BANNER, 7), new Counts(1, 2, 3, Long.MAX_VALUE));
        deltas.add(new CounterKey(-1, 0, Long.MIN_VALUE, 8), new Counts(4, 0, 0, 0));
        SealedBatch sealed = new SealedBatch(0x1234L, 0x5678L, 3, Long.MAX_VALUE, deltas);
        CounterDeltas pending = new CounterDeltas();
        pending.add(new CounterKey(BASE_MINUTE + 1, CAMPAIGN, BANNER, 7), new Counts(9, 0, 0, 0));
        MemorySnapshot snapshot = new MemorySnapshot(0x1234L, 0x5678L, 3, deltas, 4, pending);

        // What crosses the network is their wire form (the port's values know no Hazelcast).
        SealedBatch sealedCopy = roundTrip(SealedBatchData.of(sealed));
        MemorySnapshot snapshotCopy = roundTrip(MemorySnapshotData.of(snapshot));

        assertThat(sealedCopy.epoch()).isEqualTo(new UUID(0x1234L, 0x5678L));
        assertThat(sealedCopy.seq()).isEqualTo(3);
        assertThat(sealedCopy.deltas()).isEqualTo(deltas);
        assertThat(snapshotCopy.epoch()).isEqualTo(snapshot.epoch());
        for (long watermark = 0; watermark <= 5; watermark++) {
            assertThat(snapshotCopy.unpersisted(Watermark.full(watermark))).isEqualTo(snapshot.unpersisted(Watermark.full(watermark)));
        }
    }

    @Test
    void controlProcessorsKeepTheirParametersAfterARoundTrip() {
        var entry = emptyEntry(BANNER_KEY);
        batch(1, BANNER_KEY, impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 1), 1),
                impression(CAMPAIGN, BANNER + 1, 8, ts(BASE_MINUTE + 5, 1), 2)).process(entry);

        MemorySnapshot filtered = roundTrip(new SnapshotCounters(
                new CounterFilter(Dimension.PUBLISHER, 8, BASE_MINUTE + 5, BASE_MINUTE + 6))).process(entry);
        assertThat(filtered.unpersisted(Watermark.full(0)).asMap()).containsOnlyKeys(new CounterKey(BASE_MINUTE + 5, CAMPAIGN, BANNER + 1, 8));
        MemorySnapshot sums = roundTrip(new SnapshotCampaignSums(new long[] {CAMPAIGN}, BASE_MINUTE + 5, BASE_MINUTE + 6)).process(entry);
        assertThat(sums.unpersisted(Watermark.full(0)).asMap()).containsOnly(
                Map.entry(new CounterKey(BASE_MINUTE + 5, CAMPAIGN, 0, 0), new Counts(1, 0, 0, 0)));

        // SealPending keeps nowMinute and window: sealing at minute +20 with window 17 forgets the first identity only.
        SealedBatch sealed = roundTrip(new SealPending(BASE_MINUTE + 20, 17)).process(entry);
        assertThat(sealed.seq()).isEqualTo(1);
        assertThat(entry.getValue().rememberedNonces()).isEqualTo(1);

        roundTrip(new AcknowledgeBatches(Map.of(BANNER_KEY, 1L, CAMPAIGN_KEY, 5L))).process(entry);
        assertThat(new SnapshotCounters(CounterFilter.all()).process(entry)).isNull();
    }
}
