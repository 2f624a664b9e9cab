package io.adgrid.grid.counters;

import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.MoneyBounds;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import io.adgrid.event.EventType;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.reach.ReachSketch;
import org.apache.datasketches.hll.HllSketch;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Everything the grid holds for one routing key (a banner, or a campaign for sales): counts not
 * yet in PostgreSQL and the identities of recent events, for exactly-once counting.
 *
 * <p>Write-behind protocol: new counts go to {@code pending}. The persister seals them (all, or
 * those of closed minutes) into a batch {@code (epoch, seq)}, writes it to PostgreSQL in one
 * transaction together with the epoch's {@link Watermark}, then acknowledges it here. A batch that
 * is written twice is skipped by the watermark, so the protocol is idempotent at every step; a
 * report adds a sealed or pending count to what PostgreSQL holds only when the watermark does not
 * hold it.
 *
 * <p>All changes are deterministic functions of the state and the entry processor's fields (no
 * clock, no randomness), so the backup replica applying the same processor reaches the same state.
 */
public final class RouteState implements IdentifiedDataSerializable {

    /** The one map of the grid: routing key (banner or campaign) to its {@code RouteState}. */
    public static final String MAP = "adgrid-counters";

    /** Who recorded an order first, and until when it is remembered. */
    record OrderMark(long batchGateway, long batchSequence, long expiresMinute) {
    }

    /** The users a banner's impressions reached on one day since the entry's last seal. */
    private record DayReach(long banner, long campaign, HllSketch users) {
    }

    private long epochHi;
    private long epochLo;
    private long nextSeq = 1;
    private CounterDeltas pending = new CounterDeltas();
    /**
     * {@code pending} summed per campaign and minute (keys with banner and publisher 0), kept as
     * {@code pending} changes: a pacing read ({@link #campaignSums}) costs a campaign's minutes, not
     * every banner and publisher key of the entry, several times a second. Not serialized: rebuilt
     * from {@code pending} when read.
     */
    private CounterDeltas pendingByCampaign = new CounterDeltas();
    /** The earliest minute in {@code pending} (MAX_VALUE when empty): a cycle with nothing closed costs one comparison. */
    private long oldestPending = Long.MAX_VALUE;
    /** The cut of the last partial seal since the last full one (MIN_VALUE after a full one); cuts only grow. */
    private long lastCut = Long.MIN_VALUE;
    private long sealedSeq;
    /**
     * What PostgreSQL held of this epoch at the last acknowledgement (the {@link Watermark} that write
     * left): counts it holds are gone from memory, so a PostgreSQL found behind it lost them (a
     * failover to a standby that had not replayed the commit, issue 17.6).
     */
    private long ackedSeq;
    private long ackedCut = Long.MIN_VALUE;
    private long ackedFullSeq;
    /** Minutes before this are in the sealed batch; MAX_VALUE when it took everything pending. */
    private long sealedCut;
    private CounterDeltas sealed;
    /** {@code sealed} summed per campaign and minute, like {@link #pendingByCampaign}; null with it. */
    private CounterDeltas sealedByCampaign;
    /** Identities of replay-protected events (signature bits, type mixed in) by the minute of their ts. */
    private final TreeMap<Long, IdentitySet> noncesByMinute = new TreeMap<>();
    private final Map<String, OrderMark> orders = new HashMap<>();
    /** Identities of minutes before this were forgotten: events of those minutes are refused, not counted again. */
    private long forgottenBefore = Long.MIN_VALUE;
    /** Revenue taken per counter key while its minute is in the window: the per-key bound (see {@link MoneyBounds}). */
    private final Map<CounterKey, Long> revenueByKey = new HashMap<>();
    /**
     * How many changes this entry's life has taken (an event or identity taken, a batch sealed or
     * acknowledged). Every replica applies the same changes in the same order, so of two copies of one
     * epoch the one with more is the later: what a split's heal keeps ({@link LaterCopyMergePolicy}).
     */
    private long revision;
    /**
     * Unique reach (issue 21): the users of impressions counted since the last seal, by UTC day. A seal
     * moves them into the batch, which writes them to PostgreSQL by union (idempotent), so the grid
     * never holds more than a cycle's users, however long the day.
     */
    private final TreeMap<Long, DayReach> reach = new TreeMap<>();
    /** The reach the sealed batch carries, until it is acknowledged. */
    private List<ReachSketch> sealedReach = List.of();

    public RouteState() {
    }

    RouteState(long epochHi, long epochLo) {
        this.epochHi = epochHi;
        this.epochLo = epochLo;
    }

    /**
     * What became of an event in {@link #recordBeacon} or {@link #recordSale}. {@code COUNTED_BY_THIS_BATCH}: the
     * sale of a batch sent again, counted (and journaled) when the batch was first applied; answered as counted,
     * it takes nothing now.
     */
    enum Verdict { DUPLICATE, COUNTED, SUSPECT, TOO_OLD, OVER_KEY_LIMIT, COUNTED_BY_THIS_BATCH }

    /**
     * Whether an event must be refused because its replay could not be recognised: its ts is before
     * {@code refuseBeforeMillis} (the owner's clock minus the window), or its minute's identities are
     * already forgotten here (whoever's clock decided that). Checked after the identity lookup: an
     * event this entry still knows (a batch re-sent as the window closes) is a duplicate, not refused.
     */
    private boolean tooOld(GridEvent e, long refuseBeforeMillis) {
        return e.tsMillis() < refuseBeforeMillis || e.minute() < forgottenBefore;
    }

    /**
     * Test only: counts a re-posted order again, so that the fault runner's checker can be shown to
     * catch a dedup hole (faults module, PlantedBugIT). Never set in production.
     */
    private static final boolean PLANTED_BUG_SKIP_ORDER_DEDUP = Boolean.getBoolean("adgrid.test.planted-bug.skip-order-dedup");

    /**
     * Counts a beacon unless the same one was seen within the window. A click is counted as suspect
     * (in {@code suspectClicks} instead of {@code clicks}) when the gateway flagged it, or when the
     * impression of the same rendering was not recorded before it (in an earlier batch or earlier in
     * this one). Impression and click of one rendering have the same signature bits (the type is not
     * signed) and the same ts minute, so the impression is looked up in the click's own identity set:
     * no memory beyond what replay dedup keeps already. A replayed click is a duplicate and keeps the
     * class it got the first time.
     */
    Verdict recordBeacon(GridEvent e) {
        return recordBeacon(e, Long.MIN_VALUE);
    }

    /** Like {@link #recordBeacon(GridEvent)}, refusing what {@link #tooOld} refuses. */
    Verdict recordBeacon(GridEvent e, long refuseBeforeMillis) {
        if (tooOld(e, refuseBeforeMillis)) {
            IdentitySet known = noncesByMinute.get(e.minute());
            return known != null && known.contains(e.idHi() ^ e.type().code(), e.idLo()) ? Verdict.DUPLICATE : Verdict.TOO_OLD;
        }
        IdentitySet seen = noncesByMinute.computeIfAbsent(e.minute(), m -> new IdentitySet());
        if (!seen.add(e.idHi() ^ e.type().code(), e.idLo())) {
            return Verdict.DUPLICATE;
        }
        revision++;
        CounterKey key = e.counterKey();
        if (e.invalid()) {
            count(key, Tally.INVALID, 0);
            return Verdict.COUNTED;
        }
        if (e.type() == EventType.IMPRESSION) {
            count(key, Tally.IMPRESSION, 0);
            if (e.user() != 0) {
                reach.computeIfAbsent(e.day(), d -> new DayReach(e.bannerId(), e.campaignId(), Reach.newSketch())).users().update(e.user());
            }
            return Verdict.COUNTED;
        }
        if (e.suspect() || !seen.contains(e.idHi() ^ EventType.IMPRESSION.code(), e.idLo())) {
            count(key, Tally.SUSPECT_CLICK, 0);
            return Verdict.SUSPECT;
        }
        count(key, Tally.CLICK, 0);
        return Verdict.COUNTED;
    }

    /**
     * Counts a sale unless its order was recorded before. A re-sent batch finds its own mark and
     * is answered as the first time (not a duplicate) without counting again.
     *
     * A sale that would take its counter key's revenue past {@link MoneyBounds#MAX_KEY_MICROS} is
     * refused and not remembered.
     *
     * @param seenInThisBatch orders already handled by this call, so two posts in one batch are one sale
     * @param windowMinutes   the order is remembered at least as long as its ts is accepted
     * @return COUNTED when the sale is (or was, by this same batch) the first of its order
     */
    Verdict recordSale(GridEvent e, BatchId batch, Set<String> seenInThisBatch, long expiresMinute, int windowMinutes,
                       long refuseBeforeMillis) {
        boolean firstInBatch = seenInThisBatch.add(e.orderId());
        OrderMark mark = orders.get(e.orderId());
        if (mark != null && !PLANTED_BUG_SKIP_ORDER_DEDUP) {
            return firstInBatch && mark.batchGateway() == batch.gateway() && mark.batchSequence() == batch.sequence()
                    ? Verdict.COUNTED_BY_THIS_BATCH : Verdict.DUPLICATE;
        }
        if (tooOld(e, refuseBeforeMillis)) {
            return Verdict.TOO_OLD;
        }
        CounterKey key = e.counterKey();
        long taken = revenueByKey.getOrDefault(key, 0L);
        Counts campaignMinute = pendingByCampaign.get(key.campaignMinute());
        long campaignMinuteTaken = campaignMinute == null ? 0 : campaignMinute.revenueMicros;
        if (e.amountMicros() < 0 || e.amountMicros() > MoneyBounds.MAX_EVENT_MICROS || e.amountMicros() > MoneyBounds.MAX_KEY_MICROS - taken
                || e.amountMicros() > Long.MAX_VALUE - campaignMinuteTaken) {
            // the last: many keys of one campaign and minute, each under its bound, must not wrap their sum either
            return Verdict.OVER_KEY_LIMIT;
        }
        orders.put(e.orderId(), new OrderMark(batch.gateway(), batch.sequence(), orderExpiry(e, expiresMinute, windowMinutes)));
        revision++;
        revenueByKey.put(key, taken + e.amountMicros());
        count(key, Tally.SALE, e.amountMicros());
        return Verdict.COUNTED;
    }

    /** The later of the gateway's retention and the end of the sale's ts window (a retention set shorter cannot open a gap). */
    private static long orderExpiry(GridEvent e, long expiresMinute, int windowMinutes) {
        return Math.max(expiresMinute, e.minute() + windowMinutes + 1);
    }

    /** What one counted event adds to a key's counts. */
    private enum Tally {
        IMPRESSION, CLICK, SUSPECT_CLICK, INVALID, SALE;

        void addTo(Counts c, long amountMicros) {
            switch (this) {
                case IMPRESSION -> c.impressions++;
                case CLICK -> c.clicks++;
                case SUSPECT_CLICK -> c.suspectClicks++;
                case INVALID -> c.invalid++;
                case SALE -> c.addSale(amountMicros);
            }
        }
    }

    /** Counts one event under its key in {@code pending}, and in its campaign's minute. */
    private void count(CounterKey key, Tally tally, long amountMicros) {
        oldestPending = Math.min(oldestPending, key.minute());
        tally.addTo(pending.at(key), amountMicros);
        tally.addTo(pendingByCampaign.at(key.campaignMinute()), amountMicros);
    }

    /** Remembers a beacon's identity without counting it (a recovery reloading a journal); false when it was known. */
    boolean rememberBeacon(GridEvent e) {
        if (!noncesByMinute.computeIfAbsent(e.minute(), m -> new IdentitySet()).add(e.idHi() ^ e.type().code(), e.idLo())) {
            return false;
        }
        revision++;
        return true;
    }

    /** Remembers a sale's order without counting it; false when it was known. */
    boolean rememberOrder(GridEvent e, BatchId batch, long expiresMinute, int windowMinutes) {
        if (orders.putIfAbsent(e.orderId(), new OrderMark(batch.gateway(), batch.sequence(), orderExpiry(e, expiresMinute, windowMinutes))) != null) {
            return false;
        }
        revenueByKey.merge(e.counterKey(), e.amountMicros(), (a, b) -> a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b);
        revision++;
        return true;
    }

    /** What a batch just recorded in this entry ({@code events}: those it took), as the journal keeps it. */
    AppliedSlice applied(long routeKey, BatchId batch, boolean identitiesOnly, long orderExpiresMinute, List<GridEvent> events) {
        // Pending counts are sealed under nextSeq or, for minutes a partial seal leaves, a later one (see Watermark).
        return new AppliedSlice(routeKey, batch.gateway(), batch.sequence(), epochHi, epochLo, nextSeq,
                identitiesOnly, orderExpiresMinute, events);
    }

    /** Forgets nonces older than the replay window and orders past their retention. */
    void expire(long nowMinute, int windowMinutes) {
        long oldestKept = nowMinute - windowMinutes - 1;
        forgottenBefore = Math.max(forgottenBefore, oldestKept);
        noncesByMinute.headMap(oldestKept).clear();
        revenueByKey.keySet().removeIf(k -> k.minute() < oldestKept);
        Iterator<OrderMark> it = orders.values().iterator();
        while (it.hasNext()) {
            if (it.next().expiresMinute() < nowMinute) {
                it.remove();
            }
        }
    }

    /**
     * Moves pending counts of the minutes before {@code beforeMinute} ({@link Long#MAX_VALUE}: all of
     * them) into a sealed batch, unless one is still waiting for its acknowledgement. Holding the
     * open minute back lets a key gather its minute's events and reach PostgreSQL in one row write.
     * A cut never goes below the previous partial one: {@link Watermark#holds} relies on it.
     */
    SealedBatch seal(long beforeMinute) {
        if (sealed == null && !pending.isEmpty()) {
            long cut = Math.max(lastCut, beforeMinute);
            if (oldestPending < cut) {
                if (cut == Long.MAX_VALUE) {
                    sealed = pending;
                    pending = new CounterDeltas();
                    sealedByCampaign = pendingByCampaign;
                    pendingByCampaign = new CounterDeltas();
                } else {
                    sealed = pending.removeBefore(cut);
                    sealedByCampaign = pendingByCampaign.removeBefore(cut);
                }
                sealedSeq = nextSeq++;
                sealedReach = takeReach();
                revision++;
                if (pending.isEmpty()) {
                    // Everything pending went: a full batch, after which cuts may start low again.
                    sealedCut = Long.MAX_VALUE;
                    lastCut = Long.MIN_VALUE;
                    oldestPending = Long.MAX_VALUE;
                } else {
                    sealedCut = cut;
                    lastCut = cut;
                    oldestPending = pending.oldestMinute();
                }
            }
        }
        return sealed == null ? null : new SealedBatch(epochHi, epochLo, sealedSeq, sealedCut, sealed, acknowledged(), sealedReach);
    }

    private List<ReachSketch> takeReach() {
        List<ReachSketch> out = new ArrayList<>(reach.size());
        reach.forEach((day, r) -> out.add(new ReachSketch(r.banner(), r.campaign(), day, r.users().toCompactByteArray())));
        reach.clear();
        return out;
    }

    /**
     * The users this entry reached in [fromDay, toDay] that PostgreSQL may not hold yet (since the last
     * acknowledged batch), for a report; {@code campaign} and {@code banner} 0 match any.
     */
    List<ReachSketch> reachOf(long campaign, long banner, long fromDay, long toDay) {
        List<ReachSketch> out = new ArrayList<>();
        for (ReachSketch r : sealedReach) {
            if (matches(r.campaignId(), r.bannerId(), r.day(), campaign, banner, fromDay, toDay)) {
                out.add(r);
            }
        }
        reach.subMap(fromDay, true, toDay, true).forEach((day, r) -> {
            if (matches(r.campaign(), r.banner(), day, campaign, banner, fromDay, toDay)) {
                out.add(new ReachSketch(r.banner(), r.campaign(), day, r.users().toCompactByteArray()));
            }
        });
        return out;
    }

    private static boolean matches(long c, long b, long day, long campaign, long banner, long fromDay, long toDay) {
        return (campaign == 0 || c == campaign) && (banner == 0 || b == banner) && day >= fromDay && day <= toDay;
    }

    void acknowledge(long seq) {
        if (sealed != null && sealedSeq == seq) {
            // The watermark the write left (CounterWriter): full_seq only grows, cut_minute is the batch's.
            ackedSeq = seq;
            ackedCut = sealedCut;
            revision++;
            if (sealedCut == Long.MAX_VALUE) {
                ackedFullSeq = seq;
            }
            sealed = null;
            sealedByCampaign = null;
            sealedReach = List.of();
        }
    }

    /** What PostgreSQL held of this entry's epoch when the grid last dropped counts it had written. */
    Watermark acknowledged() {
        return new Watermark(ackedSeq, ackedCut, ackedFullSeq);
    }

    boolean isEmpty() {
        // Dropped with its acknowledged watermark: every identity left its window, so did the journal's records.
        return pending.isEmpty() && sealed == null && noncesByMinute.isEmpty() && orders.isEmpty() && revenueByKey.isEmpty()
                && reach.isEmpty();
    }

    /** The life of this entry's write-behind batches: the key of its watermark. */
    java.util.UUID epoch() {
        return new java.util.UUID(epochHi, epochLo);
    }

    /** See {@link #revision}. */
    long revision() {
        return revision;
    }

    /** What a report must add to PostgreSQL's totals, unless the watermark shows it is already there. */
    MemorySnapshot snapshot(CounterFilter filter) {
        CounterDeltas sealedPart = sealed == null ? new CounterDeltas() : sealed.filter(filter);
        CounterDeltas pendingPart = pending.filter(filter);
        if (sealedPart.isEmpty() && pendingPart.isEmpty()) {
            return null;
        }
        return new MemorySnapshot(epochHi, epochLo, sealedSeq, sealedPart, nextSeq, pendingPart);
    }

    /**
     * Like {@link #snapshot}, summed per campaign and minute (keys with banner and publisher 0): the
     * watermark test needs only the minute. Read from the sums kept as events are counted.
     */
    MemorySnapshot campaignSums(long[] sortedCampaigns, long fromMinute, long toMinute) {
        CounterDeltas sealedPart = sealed == null ? new CounterDeltas() : sealedByCampaign.select(sortedCampaigns, fromMinute, toMinute);
        CounterDeltas pendingPart = pendingByCampaign.select(sortedCampaigns, fromMinute, toMinute);
        if (sealedPart.isEmpty() && pendingPart.isEmpty()) {
            return null;
        }
        return new MemorySnapshot(epochHi, epochLo, sealedSeq, sealedPart, nextSeq, pendingPart);
    }

    public int pendingKeys() {
        return pending.size() + (sealed == null ? 0 : sealed.size());
    }

    /** Heap bytes of the replay-identity sets (their arrays; the sets are sized to stay under 60 % full). */
    public long identityBytes() {
        long bytes = 0;
        for (IdentitySet s : noncesByMinute.values()) {
            bytes += s.bytes();
        }
        return bytes;
    }

    public int rememberedNonces() {
        int n = 0;
        for (IdentitySet s : noncesByMinute.values()) {
            n += s.size();
        }
        return n;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.ROUTE_STATE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLong(epochHi);
        out.writeLong(epochLo);
        out.writeLong(nextSeq);
        pending.writeTo(out);
        out.writeLong(lastCut);
        out.writeBoolean(sealed != null);
        if (sealed != null) {
            out.writeLong(sealedSeq);
            out.writeLong(sealedCut);
            sealed.writeTo(out);
        }
        out.writeInt(noncesByMinute.size());
        for (Map.Entry<Long, IdentitySet> e : noncesByMinute.entrySet()) {
            out.writeLong(e.getKey());
            e.getValue().writeTo(out);
        }
        out.writeInt(orders.size());
        for (Map.Entry<String, OrderMark> e : orders.entrySet()) {
            out.writeString(e.getKey());
            out.writeLong(e.getValue().batchGateway());
            out.writeLong(e.getValue().batchSequence());
            out.writeLong(e.getValue().expiresMinute());
        }
        out.writeLong(forgottenBefore);
        out.writeLong(ackedSeq);
        out.writeLong(ackedCut);
        out.writeLong(ackedFullSeq);
        out.writeInt(revenueByKey.size());
        for (Map.Entry<CounterKey, Long> e : revenueByKey.entrySet()) {
            CounterKey k = e.getKey();
            out.writeLong(k.minute());
            out.writeLong(k.campaignId());
            out.writeLong(k.bannerId());
            out.writeLong(k.publisherId());
            out.writeLong(e.getValue());
        }
        out.writeLong(revision);
        out.writeInt(reach.size());
        for (Map.Entry<Long, DayReach> e : reach.entrySet()) {
            new ReachSketch(e.getValue().banner(), e.getValue().campaign(), e.getKey(), e.getValue().users().toUpdatableByteArray()).writeTo(out);
        }
        out.writeInt(sealedReach.size());
        for (ReachSketch r : sealedReach) {
            r.writeTo(out);
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        epochHi = in.readLong();
        epochLo = in.readLong();
        nextSeq = in.readLong();
        pending = CounterDeltas.readFrom(in);
        pendingByCampaign = pending.byCampaign();
        oldestPending = pending.oldestMinute();
        lastCut = in.readLong();
        if (in.readBoolean()) {
            sealedSeq = in.readLong();
            sealedCut = in.readLong();
            sealed = CounterDeltas.readFrom(in);
            sealedByCampaign = sealed.byCampaign();
        }
        int minutes = in.readInt();
        for (int i = 0; i < minutes; i++) {
            long minute = in.readLong();
            noncesByMinute.put(minute, IdentitySet.readFrom(in));
        }
        int orderCount = in.readInt();
        for (int i = 0; i < orderCount; i++) {
            orders.put(in.readString(), new OrderMark(in.readLong(), in.readLong(), in.readLong()));
        }
        forgottenBefore = in.readLong();
        ackedSeq = in.readLong();
        ackedCut = in.readLong();
        ackedFullSeq = in.readLong();
        int keys = in.readInt();
        for (int i = 0; i < keys; i++) {
            revenueByKey.put(new CounterKey(in.readLong(), in.readLong(), in.readLong(), in.readLong()), in.readLong());
        }
        revision = in.readLong();
        int days = in.readInt();
        for (int i = 0; i < days; i++) {
            ReachSketch r = ReachSketch.readFrom(in);
            reach.put(r.day(), new DayReach(r.bannerId(), r.campaignId(), Reach.read(r.sketch())));
        }
        int sealedDays = in.readInt();
        List<ReachSketch> sealedList = new ArrayList<>(sealedDays);
        for (int i = 0; i < sealedDays; i++) {
            sealedList.add(ReachSketch.readFrom(in));
        }
        sealedReach = sealedList;
    }
}
