package io.adgrid.grid.counters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.cluster.Address;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.partition.IPartitionService;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.map.impl.MapEntries;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.impl.operationservice.OperationService;

/**
 * Applies a batch split by partition with one invocation per owner member (see
 * {@link ApplyBatchOperationFactory}). Works from data and lite members alike.
 */
public final class PartitionBatchCall {

    private final SerializationService serialization;
    private final IPartitionService partitions;
    private final OperationService operations;

    public PartitionBatchCall(HazelcastInstance grid) {
        NodeEngine engine = ((HazelcastInstanceProxy) grid).getOriginal().node.getNodeEngine();
        this.serialization = engine.getSerializationService();
        this.partitions = engine.getPartitionService();
        this.operations = engine.getOperationService();
    }

    public int partitionOf(long key) {
        return partitions.getPartitionId(key);
    }

    /**
     * @param slices partition id to the part of the batch whose keys live in that partition
     * @return per routing key, the positions of its events that were duplicates (keys without
     *         duplicates are absent)
     */
    @SuppressWarnings("unchecked")
    public CompletableFuture<Map<Long, long[]>> apply(Map<Integer, ApplyBatch> slices) {
        Map<Address, List<Integer>> byOwner = new HashMap<>();
        for (Integer partition : slices.keySet()) {
            Address owner = partitions.getPartitionOwner(partition);
            byOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(partition);
        }
        List<CompletableFuture<Map<Integer, Object>>> calls = new ArrayList<>(byOwner.size());
        for (List<Integer> ownerPartitions : byOwner.values()) {
            int n = ownerPartitions.size();
            int[] ids = new int[n];
            Set<Data>[] keys = new Set[n];
            ApplyBatch[] parts = new ApplyBatch[n];
            for (int i = 0; i < n; i++) {
                ids[i] = ownerPartitions.get(i);
                parts[i] = slices.get(ids[i]);
                keys[i] = new HashSet<>(parts[i].keys().size() * 2);
                for (Long key : parts[i].keys()) {
                    keys[i].add(serialization.toData(key));
                }
            }
            // An owner that changed meanwhile is handled by Hazelcast: it retries a partition at its new owner.
            calls.add(operations.invokeOnPartitionsAsync(MapService.SERVICE_NAME,
                    new ApplyBatchOperationFactory(GridMember.COUNTERS_MAP, ids, keys, parts), ownerPartitions));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Map<Long, long[]> duplicates = new HashMap<>();
            for (CompletableFuture<Map<Integer, Object>> call : calls) {
                for (Object response : call.join().values()) {
                    MapEntries entries = (MapEntries) response;
                    for (int i = 0; i < entries.size(); i++) {
                        long[] bits = serialization.toObject(entries.getValue(i));
                        if (bits != null) {
                            duplicates.put(serialization.toObject(entries.getKey(i)), bits);
                        }
                    }
                }
            }
            return duplicates;
        });
    }
}
