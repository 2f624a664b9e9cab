package io.adgrid.grid.hazelcast;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import com.hazelcast.map.impl.MapServiceContext;
import com.hazelcast.map.impl.recordstore.RecordStore;
import com.hazelcast.partition.PartitionService;

/**
 * One small entry per partition, in a map with the counter map's backup count (issue 17.5): a
 * partition whose owner and backups all died together comes back empty in every map, its mark
 * included. A member refuses counting batches on a partition without its mark (checked on the
 * partition thread, in the same operation, so no batch can slip in between the loss and its
 * detection) until the dead members' journals are replayed for it and the mark is set again.
 *
 * <p>The first member of a grid life marks every partition; afterwards only the lost-partition
 * recovery does ({@code LostPartitionRecovery}).
 */
public final class PartitionMarks {

    /** The map of marks: one key per partition (see {@link #keyOf}), the grid life that set it. */
    public static final String MAP = "adgrid-partition-marks";

    private final IMap<String, String> marks;
    private final PartitionService partitions;
    private final String[] keys;

    public PartitionMarks(HazelcastInstance grid) {
        this.marks = grid.getMap(MAP);
        this.partitions = grid.getPartitionService();
        this.keys = keysByPartition(partitions);
    }

    /** Whether the member holding this partition's records has its mark (call on the partition's thread). */
    public static boolean marked(MapServiceContext context, int partition) {
        RecordStore<?> store = context.getExistingRecordStore(partition, MAP);
        return store != null && !store.isEmpty();
    }

    /** {@link #marked} for the partition of a key, on a member (an entry processor's, on its partition thread). */
    public static final io.adgrid.grid.counters.MarkedPartitions ON_THE_PARTITION_THREAD = (member, key) -> {
        HazelcastInstance instance = member instanceof com.hazelcast.instance.impl.HazelcastInstanceProxy proxy ? proxy.getOriginal() : member;
        com.hazelcast.spi.impl.NodeEngine engine = ((com.hazelcast.instance.impl.HazelcastInstanceImpl) instance).node.getNodeEngine();
        MapServiceContext context = engine.<com.hazelcast.map.impl.MapService>getService(com.hazelcast.map.impl.MapService.SERVICE_NAME)
                .getMapServiceContext();
        return marked(context, engine.getPartitionService().getPartitionId(key));
    };

    public int partitionCount() {
        return keys.length;
    }

    /** The key whose entry marks {@code partition}. */
    public String keyOf(int partition) {
        return keys[partition];
    }

    /**
     * The partitions without a mark now: lost together with every replica since they were marked.
     * Read key by key from the partitions' owners ({@code getAll}), never by a query: {@code keySet}
     * answered without the marks of migrating partitions while members joined, and a partition
     * wrongly taken for lost would have its journaled counts replayed while its replicas still hold them.
     */
    public Set<Integer> unmarked() {
        Map<String, String> present = marks.getAll(Set.of(keys));
        Set<Integer> missing = new HashSet<>();
        for (int p = 0; p < keys.length; p++) {
            if (!present.containsKey(keys[p])) {
                missing.add(p);
            }
        }
        return missing;
    }

    /** The grid lives that set the marks still in the grid (empty when no partition is marked). */
    public Set<String> lives() {
        return new HashSet<>(marks.getAll(Set.of(keys)).values());
    }

    /** Removes the marks set by {@code life} (the counts they stood for were dropped). */
    public void remove(String life) {
        marks.removeAll(Predicates.equal("this", life));
    }

    /** Removes every mark this side of the grid holds: each of its partitions is then recovered before it counts again. */
    public void removeAll() {
        marks.clear();
    }

    /** Marks the given partitions: they count again. */
    public void mark(Collection<Integer> partitionIds, String value) {
        Map<String, String> entries = new HashMap<>();
        for (int p : partitionIds) {
            entries.put(keys[p], value);
        }
        marks.putAll(entries);
    }

    /** Marks every partition (the first member of a new grid life). */
    public void markAll(String value) {
        List<Integer> all = new ArrayList<>(keys.length);
        for (int p = 0; p < keys.length; p++) {
            all.add(p);
        }
        mark(all, value);
    }

    /** For each partition the first of the keys "m0", "m1", … that Hazelcast places in it: the same on every member. */
    private static String[] keysByPartition(PartitionService partitions) {
        int count = partitions.getPartitions().size();
        String[] keys = new String[count];
        int found = 0;
        for (long i = 0; found < count; i++) {
            String key = "m" + i;
            int p = partitions.getPartition(key).getPartitionId();
            if (keys[p] == null) {
                keys[p] = key;
                found++;
            }
        }
        return keys;
    }
}
