package io.adgrid.grid.journal;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects on a partition thread the slices {@code ApplyBatch} applies during one operation, so the
 * operation hands them to the journal in one write before it answers.
 */
public final class SliceRecorder {

    private static final ThreadLocal<List<AppliedSlice>> CURRENT = new ThreadLocal<>();

    private SliceRecorder() {
    }

    public static void begin() {
        CURRENT.set(new ArrayList<>());
    }

    /** Records a slice if an operation with a journal is running on this thread. */
    public static void record(AppliedSlice slice) {
        List<AppliedSlice> slices = CURRENT.get();
        if (slices != null) {
            slices.add(slice);
        }
    }

    public static boolean active() {
        return CURRENT.get() != null;
    }

    public static List<AppliedSlice> end() {
        List<AppliedSlice> slices = CURRENT.get();
        CURRENT.remove();
        return slices == null ? List.of() : slices;
    }
}
