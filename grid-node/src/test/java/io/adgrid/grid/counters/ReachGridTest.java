package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.port.SealedBatch;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.clickOf;
import static io.adgrid.grid.counters.TestEvents.emptyEntry;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.reach.ReachSketch;
import org.junit.jupiter.api.Test;

/**
 * Unique reach in a grid entry (issue 21): the users of its counted impressions by UTC day travel with
 * the entry's next sealed batch and leave with its acknowledgement; a report sees them until then.
 */
class ReachGridTest {

    private static final long GATEWAY = 0x5EED_0004L;
    private static final long CAMPAIGN = 5;
    private static final long BANNER = 15;
    private static final long KEY = RouteKeys.banner(BANNER);
    private static final long DAY = Math.floorDiv(BASE_MINUTE, 1440);

    private long sequence = 1;

    private void apply(Map.Entry<Long, RouteState> entry, GridEvent... events) {
        new ApplyBatch(new BatchId(GATEWAY, sequence++), BASE_MINUTE + 1440, Map.of(KEY, List.of(events))).process(entry);
    }

    private static GridEvent seenBy(long minute, long id, String user) {
        return impression(CAMPAIGN, BANNER, 7, ts(minute, 1), id).withUser(Reach.userHash(user));
    }

    /** Distinct users per day of what a report of the campaign would read from the entry. */
    private static Map<Long, Long> reachByDay(Map.Entry<Long, RouteState> entry) {
        ReachSketches found = new SnapshotReach(CAMPAIGN, 0, DAY - 1, DAY + 2).process(entry);
        if (found == null) {
            return Map.of();
        }
        return found.sketches().stream().collect(Collectors.groupingBy(ReachSketch::day,
                Collectors.collectingAndThen(Collectors.mapping(ReachSketch::sketch, Collectors.toList()), Reach::estimate)));
    }

    @Test
    void theUsersOfCountedImpressionsTravelByDayWithTheNextBatchAndLeaveWithItsAcknowledgement() {
        var entry = emptyEntry(KEY);
        GridEvent first = seenBy(BASE_MINUTE, 1, "alice");
        apply(entry, first, seenBy(BASE_MINUTE, 2, "bob"), seenBy(BASE_MINUTE, 3, "alice"), seenBy(BASE_MINUTE + 1440, 4, "alice"),
                seenBy(BASE_MINUTE, 5, "robot").asInvalid(),             // not an impression: reaches no one
                clickOf(first).withUser(Reach.userHash("carol")),        // clicks do not add reach
                impression(CAMPAIGN, BANNER, 7, ts(BASE_MINUTE, 2), 6));  // no u: counted, reaches no one known
        apply(entry, first);                                             // a replay: nothing again
        assertThat(reachByDay(entry)).containsOnly(Map.entry(DAY, 2L), Map.entry(DAY + 1, 1L));

        SealedBatch batch = new SealPending(BASE_MINUTE + 1441, 17).process(entry);
        assertThat(batch.reach()).extracting(ReachSketch::bannerId, ReachSketch::campaignId, ReachSketch::day)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(BANNER, CAMPAIGN, DAY), org.assertj.core.groups.Tuple.tuple(BANNER, CAMPAIGN, DAY + 1));
        apply(entry, seenBy(BASE_MINUTE + 1440, 7, "dave"));
        assertThat(new SealPending(BASE_MINUTE + 1441, 17).process(entry).reach()).as("the same batch until acknowledged")
                .isEqualTo(batch.reach());
        assertThat(reachByDay(entry)).as("sealed and new users alike").containsOnly(Map.entry(DAY, 2L), Map.entry(DAY + 1, 2L));

        new AcknowledgeBatches(Map.of(KEY, batch.seq())).process(entry);

        assertThat(reachByDay(entry)).as("only the users since the seal").containsOnly(Map.entry(DAY + 1, 1L));
        assertThat(new SealPending(BASE_MINUTE + 1441, 17).process(entry).reach()).singleElement()
                .satisfies(r -> assertThat(Reach.estimate(List.of(r.sketch()))).isEqualTo(1));
    }

    @Test
    void aReportOfAnotherBannerOrOtherDaysSeesNone() {
        var entry = emptyEntry(KEY);
        apply(entry, seenBy(BASE_MINUTE, 1, "alice"));

        assertThat(new SnapshotReach(0, BANNER + 1, DAY, DAY).process(entry)).isNull();
        assertThat(new SnapshotReach(0, 0, DAY + 1, DAY + 9).process(entry)).isNull();
        assertThat(new SnapshotReach(0, BANNER, DAY, DAY).process(entry).sketches()).hasSize(1);
    }
}
