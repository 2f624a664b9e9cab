package io.adgrid.grid.counters;

import io.adgrid.grid.journal.SliceRecorder;
import io.adgrid.grid.port.Verdicts;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.ReplayWindow;
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
 * Returns, per entry, a bit set (null when every event was counted) holding a 3-bit verdict per
 * event ({@link #verdict}): counted, duplicate, suspect click, or refused (too old for the owner's
 * ts window, or past the revenue bound of its counter key).
 *
 * <p>The owner stamps the batch with its clock and ts window ({@link OwnerStamped}): an event older
 * than the window, or than what its entry still remembers, is refused, so no event is counted whose
 * replay the grid could no longer recognise, whatever the gateway's window or clock.
 */
public final class ApplyBatch implements EntryProcessor<Long, RouteState, long[]>, IdentifiedDataSerializable, OwnerStamped {

    /** Verdict codes in the answer, 3 bits per event. */
    public static final int COUNTED = Verdicts.COUNTED;
    public static final int DUPLICATE = Verdicts.DUPLICATE;
    public static final int SUSPECT = Verdicts.SUSPECT;
    public static final int TOO_OLD = Verdicts.TOO_OLD;
    public static final int OVER_KEY_LIMIT = Verdicts.OVER_KEY_LIMIT;
    private static final int BITS = Verdicts.BITS;

    /** What a batch does, in one byte on the wire. */
    private static final byte COUNTING = 0;
    private static final byte JOURNALED_IDENTITIES = 1;
    private static final byte UNJOURNALED_IDENTITIES = 2;

    /** Not stamped by an owner (a processor run directly, as in unit tests): no ts refusal. */
    private static final long UNSTAMPED = Long.MIN_VALUE;

    private long batchGateway;
    private long batchSequence;
    private long orderExpiresMinute;
    private boolean identitiesOnly;
    /** Whether the members journal the identities an identities-only batch loads (see {@link #identitiesOnly}). */
    private boolean journalIdentities;
    private Map<Long, List<GridEvent>> eventsByKey;
    /** The owner's clock when it ran the batch, and its window; see {@link #stamped}. */
    private long ownerNowMillis = UNSTAMPED;
    private long maxAgeMillis;
    private int windowMinutes = ReplayWindow.defaults().minutes();

    public ApplyBatch() {
    }

    public ApplyBatch(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey) {
        this(batch, orderExpiresMinute, eventsByKey, false, false);
    }

    private ApplyBatch(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey, boolean identitiesOnly,
                       boolean journalIdentities) {
        this.batchGateway = batch.gateway();
        this.batchSequence = batch.sequence();
        this.orderExpiresMinute = orderExpiresMinute;
        this.eventsByKey = eventsByKey;
        this.identitiesOnly = identitiesOnly;
        this.journalIdentities = journalIdentities;
    }

    /**
     * A batch that makes the grid remember the events' identities (beacon signatures, sale orders)
     * without counting them: how a recovery hands a new grid the replay window of a dead one whose
     * counts it wrote to PostgreSQL itself. The members journal every identity loaded, known or not:
     * the journal it came from is deleted once loaded, and an entry that knew it may be gone tomorrow
     * (issue 18, seed 21).
     */
    public static ApplyBatch identitiesOnly(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey) {
        return new ApplyBatch(batch, orderExpiresMinute, eventsByKey, true, true);
    }

    /**
     * As {@link #identitiesOnly}, for identities whose journal stays on disk, registered, until they
     * leave their window (a lost-partition recovery within the grid's life): the members journal none
     * of them. Journaled again, each recovery round would load every earlier round's copies too, and
     * the journals would grow about threefold a round until their disks were full (issue 18, seed 34).
     */
    public static ApplyBatch identitiesStillJournaled(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey) {
        return new ApplyBatch(batch, orderExpiresMinute, eventsByKey, true, false);
    }

    @Override
    public ApplyBatch stamped(long nowMillis, ReplayWindow window) {
        ApplyBatch copy = new ApplyBatch(batchId(), orderExpiresMinute, eventsByKey, identitiesOnly, journalIdentities);
        copy.ownerNowMillis = nowMillis;
        copy.maxAgeMillis = window.maxAge().toMillis();
        copy.windowMinutes = window.minutes();
        return copy;
    }

    public BatchId batchId() {
        return new BatchId(batchGateway, batchSequence);
    }

    public boolean identitiesOnly() {
        return identitiesOnly;
    }

    /** Whether this batch's identities must be journaled where it is applied (see {@link #identitiesOnly}). */
    public boolean journalsIdentities() {
        return identitiesOnly && journalIdentities;
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
        long refuseBefore = ownerNowMillis == UNSTAMPED || identitiesOnly ? Long.MIN_VALUE : ownerNowMillis - maxAgeMillis;
        BitSet answer = null;
        Set<String> orders = null;
        List<GridEvent> taken = SliceRecorder.active() && (journalIdentities || !identitiesOnly) ? new ArrayList<>(n) : null;
        for (int i = 0; i < n; i++) {
            GridEvent e = events.get(i);
            RouteState.Verdict verdict;
            if (identitiesOnly) {
                boolean known = e.type() == EventType.SALE ? !state.rememberOrder(e, batch, orderExpiresMinute, windowMinutes)
                        : !state.rememberBeacon(e);
                verdict = known ? RouteState.Verdict.DUPLICATE : RouteState.Verdict.COUNTED;
            } else if (e.type() == EventType.SALE) {
                if (orders == null) {
                    orders = new HashSet<>();
                }
                verdict = state.recordSale(e, batch, orders, orderExpiresMinute, windowMinutes, refuseBefore);
            } else {
                verdict = state.recordBeacon(e, refuseBefore);
            }
            // An identity loaded is journaled even when known (see identitiesOnly). The sale of a batch sent again
            // is not: it took nothing now, and journaled under the entry's next batch, a replay would add it again
            // once the batch that holds it was written (issue 18, seed 2 in CI on 1025044).
            if (taken != null && (identitiesOnly || verdict == RouteState.Verdict.COUNTED || verdict == RouteState.Verdict.SUSPECT)) {
                taken.add(verdict == RouteState.Verdict.SUSPECT && !e.suspect() ? e.asSuspect() : e);
            }
            int code = code(verdict);
            if (code != COUNTED) {
                if (answer == null) {
                    answer = new BitSet(BITS * n);
                }
                for (int bit = 0; bit < BITS; bit++) {
                    if ((code & (1 << bit)) != 0) {
                        answer.set(BITS * i + bit);
                    }
                }
            }
        }
        if (taken != null && !taken.isEmpty()) {
            SliceRecorder.record(state.applied(entry.getKey(), batch, identitiesOnly, orderExpiresMinute, taken));
        }
        entry.setValue(state);
        return answer == null ? null : answer.toLongArray();
    }

    private static int code(RouteState.Verdict verdict) {
        return switch (verdict) {
            case COUNTED, COUNTED_BY_THIS_BATCH -> COUNTED;
            case DUPLICATE -> DUPLICATE;
            case SUSPECT -> SUSPECT;
            case TOO_OLD -> TOO_OLD;
            case OVER_KEY_LIMIT -> OVER_KEY_LIMIT;
        };
    }

    /** The verdict code ({@link #COUNTED}, {@link #DUPLICATE}, ...) the answer of {@link #process} gives event {@code i} of the entry. */
    public static int verdict(long[] answer, int i) {
        return Verdicts.of(answer, i);
    }

    /** Whether the answer of {@link #process} says event {@code i} of the entry was a duplicate. */
    public static boolean isDuplicate(long[] answer, int i) {
        return verdict(answer, i) == DUPLICATE;
    }

    /** Whether the answer of {@link #process} says event {@code i} of the entry was counted as a suspect click. */
    public static boolean isSuspect(long[] answer, int i) {
        return verdict(answer, i) == SUSPECT;
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
        // One byte, as the boolean it was: a member of the version before reads 2 as identities only.
        out.writeByte(identitiesOnly ? (journalIdentities ? JOURNALED_IDENTITIES : UNJOURNALED_IDENTITIES) : COUNTING);
        out.writeLong(ownerNowMillis);
        out.writeLong(maxAgeMillis);
        out.writeInt(windowMinutes);
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
        byte kind = in.readByte();
        identitiesOnly = kind != COUNTING;
        journalIdentities = kind == JOURNALED_IDENTITIES;
        ownerNowMillis = in.readLong();
        maxAgeMillis = in.readLong();
        windowMinutes = in.readInt();
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
