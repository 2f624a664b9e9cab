package io.adgrid.grid.journal;

import java.util.List;

/**
 * A member's durable record of what {@code ApplyBatch} changed on it, as owner or backup. The
 * member finds it in its Hazelcast user context under {@link #USER_CONTEXT_KEY}; without one,
 * nothing is journaled (a grid without a local disk, most tests).
 */
public interface SliceJournal {

    String USER_CONTEXT_KEY = "adgrid.slice-journal";

    /** False until the journal knows which grid life it writes for; operations wait (are retried) until then. */
    boolean ready();

    /** The grid life this member counts in (null before it knows): stamped on the batches it seals, see {@link SealedBatch#life()}. */
    default java.util.UUID life() {
        return null;
    }

    /**
     * Why batches that count are refused now, or null when they are taken: closed until this life of
     * the grid has replayed every journal of a dead one. Identities-only batches (the replay itself)
     * always pass.
     */
    default String countingRefusal() {
        return null;
    }

    /** False for the moment after a member joins, before it has read whether a dead life awaits replay: calls are retried. */
    default boolean countingStateKnown() {
        return true;
    }

    /**
     * Whether counting batches are refused on a partition without its mark (grid.hazelcast's {@code PartitionMarks})
     * (a partition lost with every replica, until its journals are replayed); false until the
     * member's keeper has made sure its grid life marked the partitions.
     */
    default boolean partitionMarksEnforced() {
        return false;
    }

    /**
     * Called on the owner before a batch that counts is applied: why this member cannot journal it
     * now (its disk is full, the journal cannot be registered), or null. Everything that can fail
     * is checked here, because once applied a batch cannot be taken back: a call that failed after
     * it would leave the counts in the grid and have its re-send answered "duplicate".
     */
    default String refusalBeforeApply() {
        return null;
    }

    /**
     * Returns once the slices would survive the death of this process, or the journal has counted
     * them as unjournaled (a full disk): the slices are already applied, so this does not fail.
     */
    void append(List<AppliedSlice> slices);
}
