package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.adgrid.event.EventType;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Applies one gateway batch to the grid entries it touches, on their partition threads, and to
 * their backups (the same processor runs there and, being deterministic, reaches the same state).
 * Returns, per entry, a bit set (null when no bit is set) over its events: bit {@code 2i} when
 * event {@code i} was a duplicate, bit {@code 2i + 1} when it was counted as a suspect click; read
 * it with {@link #isDuplicate} and {@link #isSuspect}.
 */
public final class ApplyBatch implements EntryProcessor<Long, RouteState, long[]>, IdentifiedDataSerializable {

    private long batchGateway;
    private long batchSequence;
    private long orderExpiresMinute;
    private boolean identitiesOnly;
    private Map<Long, List<GridEvent>> eventsByKey;

    public ApplyBatch() {
    }

    public ApplyBatch(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey) {
        this(batch, orderExpiresMinute, eventsByKey, false);
    }

    private ApplyBatch(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey, boolean identitiesOnly) {
        this.batchGateway = batch.gateway();
        this.batchSequence = batch.sequence();
        this.orderExpiresMinute = orderExpiresMinute;
        this.eventsByKey = eventsByKey;
        this.identitiesOnly = identitiesOnly;
    }

    /**
     * A batch that makes the grid remember the events' identities (beacon signatures, sale orders)
     * without counting them: how a recovery hands a new grid the replay window of a dead one whose
     * counts it wrote to PostgreSQL itself.
     */
    public static ApplyBatch identitiesOnly(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey) {
        return new ApplyBatch(batch, orderExpiresMinute, eventsByKey, true);
    }

    public BatchId batchId() {
        return new BatchId(batchGateway, batchSequence);
    }

    public boolean identitiesOnly() {
        return identitiesOnly;
    }

    public Set<Long> keys() {
        return eventsByKey.keySet();
    }

    public int eventCount() {
        int n = 0;
        for (List<GridEvent> events : eventsByKey.values()) {
            n += events.size();
        }
        return n;
    }

    @Override
    public long[] process(Map.Entry<Long, RouteState> entry) {
        List<GridEvent> events = eventsByKey.get(entry.getKey());
        if (events == null || events.isEmpty()) {
            return null;
        }
        RouteState state = entry.getValue();
        if (state == null) {
            // The epoch names this life of the entry; derived from the batch so the backup derives the same.
            state = new RouteState(batchGateway ^ (entry.getKey() * 0x9E3779B97F4A7C15L), batchSequence);
        }
        BatchId batch = batchId();
        int n = events.size();
        BitSet answer = null;
        Set<String> orders = null;
        List<GridEvent> taken = SliceRecorder.active() ? new ArrayList<>(n) : null;
        for (int i = 0; i < n; i++) {
            GridEvent e = events.get(i);
            RouteState.Verdict verdict;
            if (identitiesOnly) {
                boolean known = e.type() == EventType.SALE ? !state.rememberOrder(e, batch, orderExpiresMinute) : !state.rememberBeacon(e);
                verdict = known ? RouteState.Verdict.DUPLICATE : RouteState.Verdict.COUNTED;
            } else if (e.type() == EventType.SALE) {
                if (orders == null) {
                    orders = new HashSet<>();
                }
                verdict = state.recordSale(e, batch, orders, orderExpiresMinute) ? RouteState.Verdict.COUNTED : RouteState.Verdict.DUPLICATE;
            } else {
                verdict = state.recordBeacon(e);
            }
            if (taken != null && verdict != RouteState.Verdict.DUPLICATE) {
                taken.add(verdict == RouteState.Verdict.SUSPECT && !e.suspect() ? e.asSuspect() : e);
            }
            if (verdict != RouteState.Verdict.COUNTED) {
                if (answer == null) {
                    answer = new BitSet(2 * n);
                }
                answer.set(verdict == RouteState.Verdict.DUPLICATE ? 2 * i : 2 * i + 1);
            }
        }
        if (taken != null && !taken.isEmpty()) {
            SliceRecorder.record(state.applied(entry.getKey(), batch, identitiesOnly, orderExpiresMinute, taken));
        }
        entry.setValue(state);
        return answer == null ? null : answer.toLongArray();
    }

    /** Whether the answer of {@link #process} says event {@code i} of the entry was a duplicate. */
    public static boolean isDuplicate(long[] answer, int i) {
        return isSet(answer, 2 * i);
    }

    /** Whether the answer of {@link #process} says event {@code i} of the entry was counted as a suspect click. */
    public static boolean isSuspect(long[] answer, int i) {
        return isSet(answer, 2 * i + 1);
    }

    private static boolean isSet(long[] bits, int bit) {
        int word = bit >>> 6;
        return bits != null && word < bits.length && (bits[word] & (1L << bit)) != 0;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.APPLY_BATCH;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLong(batchGateway);
        out.writeLong(batchSequence);
        out.writeLong(orderExpiresMinute);
        out.writeBoolean(identitiesOnly);
        out.writeInt(eventsByKey.size());
        for (Map.Entry<Long, List<GridEvent>> e : eventsByKey.entrySet()) {
            out.writeLong(e.getKey());
            out.writeInt(e.getValue().size());
            for (GridEvent event : e.getValue()) {
                event.writeTo(out);
            }
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        batchGateway = in.readLong();
        batchSequence = in.readLong();
        orderExpiresMinute = in.readLong();
        identitiesOnly = in.readBoolean();
        int keys = in.readInt();
        eventsByKey = new HashMap<>(Math.max(16, keys * 2));
        for (int k = 0; k < keys; k++) {
            long key = in.readLong();
            int n = in.readInt();
            List<GridEvent> events = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                events.add(GridEvent.readFrom(in));
            }
            eventsByKey.put(key, events);
        }
    }
}
