package io.adgrid.grid.counters;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * How the counter map heals a split: of two copies of one entry's epoch, the later one stays (the one
 * with the higher {@link RouteState#revision}); otherwise the copy already in the cluster that the other
 * side merges into stays, and an entry only the merging side has is dropped, as Hazelcast's
 * {@code DiscardMergePolicy} does.
 *
 * <p>Why not always the bigger side's copy: Hazelcast merges the side with fewer members into the other,
 * and members restarted or paused during a split can leave the side that counted the smaller one. Its
 * copies then went on from the ones the bigger side holds, under the same epoch and batch numbers; kept
 * stale, the older copy wrote its next batch under a number the later copy had used for other counts,
 * the watermark took those for written, and the journal replay skipped them (issue 18, seed 22).
 *
 * <p>Copies are never added together: both hold everything counted before the split.
 */
public final class LaterCopyMergePolicy implements SplitBrainMergePolicy<RouteState, MergingValue<RouteState>, Object> {

    @Override
    public Object merge(MergingValue<RouteState> merging, MergingValue<RouteState> existing) {
        if (existing == null) {
            return null;
        }
        if (merging == null) {
            return existing.getRawValue();
        }
        RouteState theirs = merging.getDeserializedValue();
        RouteState ours = existing.getDeserializedValue();
        return later(theirs, ours) ? merging.getRawValue() : existing.getRawValue();
    }

    /**
     * Whether {@code candidate} is the later copy: the same epoch, more changes. Two copies that both went
     * on from a split are not told apart (docs/RELIABILITY.md, Known limits).
     */
    static boolean later(RouteState candidate, RouteState kept) {
        return candidate.epoch().equals(kept.epoch()) && candidate.revision() > kept.revision();
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // No settings.
    }

    @Override
    public void readData(ObjectDataInput in) {
        // No settings.
    }
}
