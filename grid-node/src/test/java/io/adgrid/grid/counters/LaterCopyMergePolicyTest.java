package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.RouteKeys;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.emptyEntry;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import com.hazelcast.spi.merge.MergingValue;
import org.junit.jupiter.api.Test;

class LaterCopyMergePolicyTest {

    private static final long GATEWAY = 0x5EED_0022L;
    private static final long KEY = RouteKeys.banner(13);

    private final LaterCopyMergePolicy policy = new LaterCopyMergePolicy();

    private static ApplyBatch batch(long sequence, long... ids) {
        List<GridEvent> events = new java.util.ArrayList<>();
        for (long id : ids) {
            events.add(impression(3, 13, 7, ts(BASE_MINUTE, id), id));
        }
        return new ApplyBatch(new BatchId(GATEWAY, sequence), BASE_MINUTE + 60, Map.of(KEY, events));
    }

    /** An entry created by batch {@code first} (which names its epoch), then given {@code more} batches. */
    private static RouteState entry(long first, ApplyBatch... more) {
        var entry = emptyEntry(KEY);
        batch(first, 1).process(entry);
        for (ApplyBatch b : more) {
            b.process(entry);
        }
        return entry.getValue();
    }

    private Object merge(RouteState merging, RouteState existing) {
        return policy.merge(value(merging), existing == null ? null : value(existing));
    }

    private static MergingValue<RouteState> value(RouteState state) {
        return new MergingValue<>() {
            @Override
            public RouteState getDeserializedValue() {
                return state;
            }

            @Override
            public Object getRawValue() {
                return state;
            }
        };
    }

    @Test
    void ofTwoCopiesOfOneEpochTheLaterStaysOnEitherSide() {
        RouteState atTheSplit = entry(1);
        RouteState wentOn = entry(1, batch(2, 2), batch(3, 3));

        assertThat(merge(wentOn, atTheSplit)).isSameAs(wentOn);
        assertThat(merge(atTheSplit, wentOn)).isSameAs(wentOn);
    }

    @Test
    void everyChangeMovesTheRevisionAndARefusedOrDuplicateEventDoesNot() {
        var entry = emptyEntry(KEY);
        batch(1, 1, 2).process(entry);
        long afterTwoEvents = entry.getValue().revision();
        batch(2, 1, 2).process(entry);
        assertThat(entry.getValue().revision()).as("replays only").isEqualTo(afterTwoEvents).isEqualTo(2);

        new SealPending(BASE_MINUTE + 1, 17).process(entry);
        assertThat(entry.getValue().revision()).as("sealed").isEqualTo(3);
        new AcknowledgeBatches(Map.of(KEY, 1L)).process(entry);
        assertThat(entry.getValue().revision()).as("acknowledged").isEqualTo(4);
        ApplyBatch.identitiesOnly(new BatchId(GATEWAY, 3), BASE_MINUTE + 60,
                Map.of(KEY, List.of(impression(3, 13, 7, ts(BASE_MINUTE, 9), 9)))).process(entry);
        assertThat(entry.getValue().revision()).as("an identity reloaded").isEqualTo(5);
    }

    @Test
    void copiesOfDifferentEpochsOrAnEntryOnlyTheMergingSideHasAreNotTakenFromIt() {
        RouteState existing = entry(1);
        RouteState otherEpoch = entry(7, batch(8, 2), batch(9, 3));

        assertThat(merge(otherEpoch, existing)).isSameAs(existing);
        assertThat(merge(otherEpoch, null)).as("only the merging side's: dropped, as DiscardMergePolicy does").isNull();
    }
}
