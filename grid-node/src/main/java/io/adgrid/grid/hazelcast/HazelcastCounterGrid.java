package io.adgrid.grid.hazelcast;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import io.adgrid.grid.counters.AcknowledgeBatches;
import io.adgrid.grid.counters.AcknowledgedWatermark;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.counters.BacklogProbe;
import io.adgrid.grid.counters.DropEntry;
import io.adgrid.grid.counters.EntryEpoch;
import io.adgrid.grid.counters.ReachSketches;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.counters.SnapshotCampaignSums;
import io.adgrid.grid.counters.SnapshotCounters;
import io.adgrid.grid.counters.SnapshotReach;
import io.adgrid.grid.port.Backlog;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.reach.ReachSketch;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;

/**
 * The {@link CounterGrid} of a Hazelcast member: the counter map {@link RouteState#MAP} of
 * {@link RouteState} entries, changed by the grid's entry processors, batch calls through
 * {@link PartitionBatchCall} (answered once the backups applied them), and the {@link PartitionMarks}.
 */
public final class HazelcastCounterGrid implements CounterGrid {

    private final HazelcastInstance grid;
    private final IMap<Long, RouteState> counters;
    private volatile PartitionBatchCall call;
    private volatile PartitionMarks marks;

    public HazelcastCounterGrid(HazelcastInstance grid) {
        this.grid = grid;
        this.counters = grid.getMap(RouteState.MAP);
    }

    /** Made on first use: a report that reads only through the map needs no operation service. */
    private PartitionBatchCall call() {
        PartitionBatchCall c = call;
        if (c == null) {
            c = new PartitionBatchCall(grid);
            call = c;
        }
        return c;
    }

    private PartitionMarks marks() {
        PartitionMarks m = marks;
        if (m == null) {
            m = new PartitionMarks(grid);
            marks = m;
        }
        return m;
    }

    @Override
    public int partitionOf(long routeKey) {
        return call().partitionOf(routeKey);
    }

    @Override
    public Set<Long> ownKeys() {
        return counters.localKeySet();
    }

    @Override
    public Set<Long> allKeys() {
        return counters.keySet();
    }

    @Override
    public Map<Integer, CompletableFuture<Map<Long, long[]>>> apply(BatchId batch, long orderExpiresMinute,
                                                                    Map<Integer, Map<Long, List<GridEvent>>> eventsByPartition) {
        Map<Integer, PartitionBatchCall.Slice> slices = new HashMap<>(eventsByPartition.size() * 2);
        eventsByPartition.forEach((partition, group) ->
                slices.put(partition, new PartitionBatchCall.Slice(group.keySet(), new ApplyBatch(batch, orderExpiresMinute, group))));
        return call().executeEach(slices);
    }

    @Override
    public Map<Long, SealedBatch> seal(Collection<Long> keys, long nowMinute, int replayWindowMinutes, long sealBeforeMinute) {
        SealPending seal = new SealPending(nowMinute, replayWindowMinutes, sealBeforeMinute);
        PartitionBatchCall c = call();
        return c.<SealedBatch>execute(c.slices(keys, k -> seal)).join();
    }

    @Override
    public void acknowledge(Map<Long, Long> seqByKey) {
        PartitionBatchCall c = call();
        c.execute(c.slices(seqByKey.keySet(), k -> new AcknowledgeBatches(subMap(seqByKey, k)))).join();
    }

    private static Map<Long, Long> subMap(Map<Long, Long> map, Set<Long> keys) {
        Map<Long, Long> out = new HashMap<>(keys.size() * 2);
        keys.forEach(k -> out.put(k, map.get(k)));
        return out;
    }

    @Override
    public Map<Long, Backlog> backlog(Collection<Long> keys) {
        BacklogProbe probe = new BacklogProbe();
        PartitionBatchCall c = call();
        Map<Long, long[]> answers = c.<long[]>execute(c.slices(keys, k -> probe)).join();
        Map<Long, Backlog> out = new HashMap<>(answers.size() * 2);
        answers.forEach((k, a) -> out.put(k, new Backlog(a[0], a[1], a[2])));
        return out;
    }

    @Override
    public Collection<UUID> epochs() {
        return counters.executeOnEntries(new EntryEpoch()).values();
    }

    @Override
    public Map<UUID, Watermark> acknowledgedWatermarks() {
        Set<Long> own = counters.localKeySet();
        Map<UUID, Watermark> out = new HashMap<>();
        if (own.isEmpty()) {
            return out;
        }
        for (long[] w : counters.executeOnKeys(own, new AcknowledgedWatermark()).values()) {
            if (w != null && w[2] > 0) {
                out.put(new UUID(w[0], w[1]), new Watermark(w[2], w[3], w[4]));
            }
        }
        return out;
    }

    @Override
    public CompletableFuture<Long> remember(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey,
                                            boolean journalAgain) {
        ApplyBatch load = journalAgain ? ApplyBatch.identitiesOnly(batch, orderExpiresMinute, eventsByKey)
                : ApplyBatch.identitiesStillJournaled(batch, orderExpiresMinute, eventsByKey);
        PartitionBatchCall c = call();
        return c.<long[]>execute(c.slices(load.keys(), keys -> load)).thenApply(answers -> {
            // An identities-only batch answers, per entry, a bit for each event it already knew.
            long known = 0;
            for (long[] answer : answers.values()) {
                known += answer == null ? 0 : BitSet.valueOf(answer).cardinality();
            }
            return known;
        });
    }

    @Override
    public int dropAll() {
        return counters.executeOnEntries(new DropEntry()).size();
    }

    @Override
    public int dropUnmarked(int partition) {
        return counters.executeOnEntries(DropEntry.unlessMarked(),
                Predicates.partitionPredicate(marks().keyOf(partition), Predicates.alwaysTrue())).size();
    }

    @Override
    public Set<Integer> unmarkedPartitions() {
        return marks().unmarked();
    }

    @Override
    public Set<String> markLives() {
        return marks().lives();
    }

    @Override
    public void markAll(String life) {
        marks().markAll(life);
    }

    @Override
    public void mark(Collection<Integer> partitions, String life) {
        marks().mark(partitions, life);
    }

    @Override
    public void removeMarks(String life) {
        marks().remove(life);
    }

    @Override
    public void removeAllMarks() {
        marks().removeAll();
    }

    @Override
    public List<MemorySnapshot> snapshot(CounterFilter filter) {
        return collect(counters.executeOnEntries(new SnapshotCounters(filter)).values());
    }

    @Override
    public List<MemorySnapshot> campaignSums(Collection<Long> campaigns, long fromMinute, long toMinute) {
        if (campaigns.isEmpty()) {
            return List.of();
        }
        long[] ids = campaigns.stream().mapToLong(Long::longValue).toArray();
        return collect(counters.executeOnEntries(new SnapshotCampaignSums(ids, fromMinute, toMinute)).values());
    }

    @Override
    public List<ReachSketch> reach(long campaign, long banner, long fromDay, long toDay) {
        SnapshotReach read = new SnapshotReach(campaign, banner, fromDay, toDay);
        Collection<ReachSketches> answers = banner != 0
                ? Collections.singletonList(counters.executeOnKey(RouteKeys.banner(banner), read))
                : counters.executeOnEntries(read).values();
        List<ReachSketch> out = new ArrayList<>();
        for (ReachSketches a : answers) {
            if (a != null) {
                out.addAll(a.sketches());
            }
        }
        return out;
    }

    private static List<MemorySnapshot> collect(Collection<? extends MemorySnapshot> answers) {
        List<MemorySnapshot> out = new ArrayList<>();
        answers.forEach(s -> {
            if (s != null) {
                out.add(s);
            }
        });
        return out;
    }
}
