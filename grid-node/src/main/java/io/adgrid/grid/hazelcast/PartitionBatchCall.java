package io.adgrid.grid.hazelcast;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.counters.RouteState;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.partition.IPartitionService;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.util.ConcurrencyUtil;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.impl.MapEntries;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.impl.executionservice.ExecutionService;
import com.hazelcast.spi.impl.operationservice.OperationService;

/**
 * Runs entry processors on the counter map split by partition, each partition getting only its
 * own keys and processor (a slice of a batch). Works from data and lite members alike.
 */
public final class PartitionBatchCall {

    /** The keys of one partition and the processor to run on them. */
    public record Slice(Set<Long> keys, EntryProcessor<Long, RouteState, ?> processor) {
    }

    private final SerializationService serialization;
    private final IPartitionService partitions;
    private final OperationService operations;
    /**
     * Where an answer continues (its results read, the caller's stages run), once per call when its
     * last partition has answered: the member's async executor, as Hazelcast's own proxies use for
     * callbacks. Not Hazelcast's default for a future's {@code thenApply}: that is the JDK's common
     * pool, or, when the pool has a single thread (a 2-core box), a new thread for every call
     * (PartitionBatchCallIT).
     */
    private final Executor answers;

    public PartitionBatchCall(HazelcastInstance grid) {
        NodeEngine engine = ((HazelcastInstanceProxy) grid).getOriginal().node.getNodeEngine();
        this.serialization = engine.getSerializationService();
        this.partitions = engine.getPartitionService();
        this.operations = engine.getOperationService();
        this.answers = engine.getExecutionService().getExecutor(ExecutionService.ASYNC_EXECUTOR);
    }

    public int partitionOf(long key) {
        return partitions.getPartitionId(key);
    }

    /** Groups keys by partition and gives each partition the processor {@code forKeys} makes for its keys. */
    public Map<Integer, Slice> slices(Collection<Long> keys, Function<Set<Long>, EntryProcessor<Long, RouteState, ?>> forKeys) {
        Map<Integer, Set<Long>> byPartition = new HashMap<>();
        for (Long key : keys) {
            byPartition.computeIfAbsent(partitionOf(key), p -> new HashSet<>()).add(key);
        }
        Map<Integer, Slice> slices = new HashMap<>(byPartition.size() * 2);
        byPartition.forEach((p, k) -> slices.put(p, new Slice(k, forKeys.apply(k))));
        return slices;
    }

    /**
     * One invocation per partition, each answered once the partition's owner and backups have run
     * its processor (see {@link BackedUpEntryOperation}); Hazelcast retries an invocation at a
     * partition's new owner when the owner changed meanwhile.
     *
     * @return the non-null results of the processors, by key
     */
    public <R> CompletableFuture<Map<Long, R>> execute(Map<Integer, Slice> slices) {
        Map<Integer, CompletableFuture<Map<Long, R>>> each = executeEach(slices);
        List<CompletableFuture<Map<Long, R>>> calls = new ArrayList<>(each.values());
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Map<Long, R> results = new HashMap<>();
            calls.forEach(call -> results.putAll(call.join()));
            return results;
        });
    }

    /**
     * Like {@link #execute}, with each partition's answer apart: a caller can tell which partitions
     * applied their slice when another one failed (one whose replicas were all lost refuses counting
     * batches while the others count), and send only the failed ones again.
     */
    public <R> Map<Integer, CompletableFuture<Map<Long, R>>> executeEach(Map<Integer, Slice> slices) {
        Map<Integer, CompletableFuture<Object>> invocations = new HashMap<>(slices.size() * 2);
        for (Map.Entry<Integer, Slice> e : slices.entrySet()) {
            Slice slice = e.getValue();
            Set<Data> keys = new HashSet<>(slice.keys().size() * 2);
            for (Long key : slice.keys()) {
                keys.add(serialization.toData(key));
            }
            invocations.put(e.getKey(), operations.invokeOnPartitionAsync(MapService.SERVICE_NAME,
                    new BackedUpEntryOperation(RouteState.MAP, keys, slice.processor()), e.getKey()));
        }
        Map<Integer, CompletableFuture<Map<Long, R>>> calls = new HashMap<>(slices.size() * 2);
        invocations.keySet().forEach(partition -> calls.put(partition, new CompletableFuture<>()));
        // One hand-over to the async executor per batch, once every partition has answered, instead of
        // one per partition: the thread that completes an invocation (a partition thread, or the
        // response thread) only counts it. The caller waits for them all anyway.
        AtomicInteger unanswered = new AtomicInteger(invocations.size());
        invocations.values().forEach(invocation -> invocation.whenCompleteAsync((answer, error) -> {
            if (unanswered.decrementAndGet() == 0) {
                Runnable completeAll = () -> invocations.forEach((partition, done) -> complete(calls.get(partition), done));
                try {
                    answers.execute(completeAll);
                } catch (RejectedExecutionException shuttingDown) {
                    completeAll.run();
                }
            }
        }, ConcurrencyUtil.CALLER_RUNS));
        return calls;
    }

    /** Completes {@code call} with the results of its partition's finished invocation, or with its failure. */
    private <R> void complete(CompletableFuture<Map<Long, R>> call, CompletableFuture<Object> invocation) {
        try {
            call.complete(results(invocation.join()));
        } catch (CompletionException e) {
            call.completeExceptionally(e.getCause() == null ? e : e.getCause());
        } catch (Throwable e) {
            call.completeExceptionally(e); // never leave a caller waiting
        }
    }

    private <R> Map<Long, R> results(Object answer) {
        MapEntries entries = (MapEntries) answer;
        Map<Long, R> results = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            R result = serialization.toObject(entries.getValue(i));
            if (result != null) {
                results.put(serialization.toObject(entries.getKey(i)), result);
            }
        }
        return results;
    }
}
