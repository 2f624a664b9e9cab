package io.adgrid.grid.counters;

import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.RouteKeys;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.clickOf;
import static io.adgrid.grid.counters.TestEvents.emptyEntry;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.positions;
import static io.adgrid.grid.counters.TestEvents.ts;
import static io.adgrid.grid.counters.TestEvents.unpersisted;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Beacons from known robots (issue 21, GIVT): the gateway flags them, the grid deduplicates them
 * like any beacon and counts them once in {@code invalid}, never in the billed counts.
 */
class InvalidTrafficTest {

    private static final long GATEWAY = 0x5EED_0003L;
    private static final long ORDER_EXPIRY = BASE_MINUTE + 24 * 60;
    private static final long CAMPAIGN = 3;
    private static final long BANNER = 13;
    private static final long BANNER_KEY = RouteKeys.banner(BANNER);
    private static final CounterKey KEY = new CounterKey(BASE_MINUTE, CAMPAIGN, BANNER, 7);

    private static ApplyBatch batch(long sequence, GridEvent... events) {
        return new ApplyBatch(new BatchId(GATEWAY, sequence), ORDER_EXPIRY, Map.of(BANNER_KEY, List.of(events)));
    }

    @Test
    void aRobotsImpressionAndClickAreCountedOnceAsInvalidAndNeverAsBilledCounts() {
        var entry = emptyEntry(BANNER_KEY);
        GridEvent shown = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1).asInvalid();
        GridEvent human = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 11), 2);

        batch(1, shown, human, clickOf(shown).asInvalid()).process(entry);
        long[] replay = batch(2, shown, clickOf(shown).asInvalid()).process(entry);

        assertThat(positions(replay)).containsExactly(0, 1);
        assertThat(unpersisted(entry).asMap()).containsOnly(Map.entry(KEY, new Counts(1, 0, 0, 0, 0, 2)));
    }

    @Test
    void theJournalsSliceGivesTheSameInvalidCounts() {
        GridEvent shown = impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1).asInvalid();
        AppliedSlice slice = new AppliedSlice(BANNER_KEY, GATEWAY, 1, 0, 0, 1, false, ORDER_EXPIRY,
                List.of(shown, clickOf(shown).asInvalid(), clickOf(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 12), 3)).asSuspect()));

        assertThat(slice.deltas().asMap()).containsOnly(Map.entry(KEY, new Counts(0, 0, 0, 0, 1, 2)));
    }

    @Test
    void anInvalidFlagSurvivesTheEventsBytes() throws Exception {
        for (GridEvent e : List.of(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1).asInvalid(),
                clickOf(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1)).asInvalid(),
                clickOf(impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1)).asSuspect(),
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 10), 1))) {
            var bytes = new java.io.ByteArrayOutputStream();
            e.writeTo(new java.io.DataOutputStream(bytes));
            assertThat(GridEvent.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))))
                    .isEqualTo(e);
        }
    }
}
