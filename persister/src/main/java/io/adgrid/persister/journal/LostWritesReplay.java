package io.adgrid.persister.journal;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import io.adgrid.grid.journal.SliceJournal;
import io.adgrid.grid.port.Watermark;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

/**
 * One data member's part of a repair after lost writes (issue 17.6): it replays, from the journals on
 * its own root, the counts between what PostgreSQL holds and what the grid acknowledged. Sent to every
 * data member: a partition's slices are in the journals of the members that owned it or held its
 * backup when they were applied, which need not be the member that owns it now. Answers
 * {slices read, slices added, events added}.
 */
final class LostWritesReplay implements Callable<long[]>, Serializable, HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    /** Per epoch: its two halves, then the acknowledged and the held watermarks (last seq, cut, full seq each). */
    private final long[][] epochs;
    private transient HazelcastInstance grid;

    LostWritesReplay(Map<UUID, Watermark> acknowledged, Map<UUID, Watermark> held) {
        epochs = new long[acknowledged.size()][];
        int i = 0;
        for (Map.Entry<UUID, Watermark> e : acknowledged.entrySet()) {
            Watermark a = e.getValue();
            Watermark h = held.getOrDefault(e.getKey(), Watermark.NONE);
            epochs[i++] = new long[] {e.getKey().getMostSignificantBits(), e.getKey().getLeastSignificantBits(),
                    a.lastSeq(), a.cutMinute(), a.fullSeq(), h.lastSeq(), h.cutMinute(), h.fullSeq()};
        }
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.grid = hazelcastInstance;
    }

    @Override
    public long[] call() {
        Object keeper = grid.getUserContext().get(JournalKeeper.USER_CONTEXT_KEY);
        if (!(keeper instanceof JournalKeeper k)) {
            if (grid.getUserContext().get(SliceJournal.USER_CONTEXT_KEY) != null) {
                // It journals, but its keeper has not started: its root may hold slices; the repair is tried again.
                throw new IllegalStateException("the journal keeper of this member has not started yet");
            }
            return new long[3]; // no journal on this member
        }
        Map<UUID, Watermark> acknowledged = new HashMap<>();
        Map<UUID, Watermark> held = new HashMap<>();
        for (long[] e : epochs) {
            UUID epoch = new UUID(e[0], e[1]);
            acknowledged.put(epoch, new Watermark(e[2], e[3], e[4]));
            held.put(epoch, new Watermark(e[5], e[6], e[7]));
        }
        return k.replayLostWrites(acknowledged, held);
    }
}
