package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.hazelcast.SerializationRoundTrip;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.MoneyBounds;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.clickOf;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.sale;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pacing read ({@link RouteState#campaignSums}) answers from sums kept as events are counted,
 * not from a scan of every key: whatever the order of beacons, sales, seals, acknowledgements and
 * copies to another member, it must say exactly what summing the entry's keys per campaign and
 * minute says.
 */
class CampaignSumsTest {

    private static final long[] CAMPAIGNS = {3, 5, 8};
    private static final BatchId BATCH = new BatchId(1, 1);

    private final SerializationRoundTrip serialization = SerializationRoundTrip.withoutMember();

    @Test
    void campaignSumsEqualTheKeysSummedThroughAnyHistory() {
        for (long seed = 1; seed <= 20; seed++) {
            replay(new Random(seed));
        }
    }

    @Test
    void aCampaignsMinuteRefusesTheSaleThatWouldWrapItsSum() {
        RouteState state = new RouteState(0xA, 0xB);
        long counted = 0;
        RouteState.Verdict last = null;
        // every key stays within its own bound (100 sales of the largest amount), but their sum is past a long at the 9,224th sale
        for (int publisher = 1; publisher <= 100 && last != RouteState.Verdict.OVER_KEY_LIMIT; publisher++) {
            for (int i = 0; i < 100; i++) {
                last = state.recordSale(sale(3, 10, publisher, ts(BASE_MINUTE, 1), "o" + publisher + "-" + i, MoneyBounds.MAX_EVENT_MICROS),
                        BATCH, new HashSet<>(), BASE_MINUTE + 100, 17, Long.MIN_VALUE);
                if (last != RouteState.Verdict.COUNTED) {
                    break;
                }
                counted++;
            }
        }

        assertThat(last).isEqualTo(RouteState.Verdict.OVER_KEY_LIMIT);
        assertThat(counted).isEqualTo(Long.MAX_VALUE / MoneyBounds.MAX_EVENT_MICROS);
        CounterDeltas sums = state.campaignSums(new long[] {3}, BASE_MINUTE, BASE_MINUTE + 1).unpersisted(Watermark.full(0));
        assertThat(sums.asMap().values()).containsExactly(new Counts(0, 0, counted, counted * MoneyBounds.MAX_EVENT_MICROS));
    }

    private void replay(Random random) {
        RouteState state = new RouteState(0xA, 0xB);
        List<GridEvent> impressions = new ArrayList<>();
        Long sealedSeq = null;
        long id = 1;
        for (int step = 0; step < 400; step++) {
            int what = random.nextInt(100);
            long campaign = CAMPAIGNS[random.nextInt(CAMPAIGNS.length)];
            long minute = BASE_MINUTE + random.nextInt(4);
            if (what < 45) {
                GridEvent e = impression(campaign, 10 + random.nextInt(3), 1 + random.nextInt(5), ts(minute, 1), id++);
                state.recordBeacon(random.nextInt(10) == 0 ? e.asInvalid() : e);
                impressions.add(e);
            } else if (what < 65 && !impressions.isEmpty()) {
                GridEvent click = clickOf(impressions.get(random.nextInt(impressions.size())));
                state.recordBeacon(random.nextBoolean() ? click : click.asSuspect());
            } else if (what < 80) {
                state.recordSale(sale(campaign, 10, 1 + random.nextInt(5), ts(minute, 2), "o" + id++, 1 + random.nextInt(5_000_000)),
                        BATCH, new HashSet<>(), BASE_MINUTE + 100, 17, Long.MIN_VALUE);
            } else if (what < 88) {
                SealedBatch batch = state.seal(random.nextBoolean() ? Long.MAX_VALUE : minute);
                sealedSeq = batch == null ? null : batch.seq();
            } else if (what < 95 && sealedSeq != null) {
                state.acknowledge(sealedSeq);
                sealedSeq = null;
            } else {
                state = (RouteState) serialization.copy(state);   // a backup or a migration
            }
            long[] some = random.nextBoolean() ? CAMPAIGNS : new long[] {CAMPAIGNS[random.nextInt(CAMPAIGNS.length)]};
            long from = BASE_MINUTE + random.nextInt(3);
            long to = from + 1 + random.nextInt(3);
            assertSumsOfKeys(state, some, from, to, sealedSeq);
        }
    }

    /** What the read answers against what the entry's keys sum to, for PostgreSQL behind and at the sealed batch. */
    private static void assertSumsOfKeys(RouteState state, long[] campaigns, long from, long to, Long sealedSeq) {
        MemorySnapshot sums = state.campaignSums(campaigns, from, to);
        MemorySnapshot keys = state.snapshot(CounterFilter.all());
        List<Watermark> watermarks = sealedSeq == null ? List.of(Watermark.full(0)) : List.of(Watermark.full(0), Watermark.full(sealedSeq));
        for (Watermark w : watermarks) {
            CounterDeltas expected = keys == null ? new CounterDeltas() : keys.unpersisted(w).byCampaign().select(campaigns, from, to);
            CounterDeltas actual = sums == null ? new CounterDeltas() : sums.unpersisted(w);
            assertThat(actual.asMap()).isEqualTo(expected.asMap());
        }
    }
}
