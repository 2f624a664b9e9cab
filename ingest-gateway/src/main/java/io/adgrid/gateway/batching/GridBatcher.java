package io.adgrid.gateway.batching;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.GridRefusal;
import io.adgrid.grid.port.Verdicts;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers events while earlier grid calls are in flight (group commit), splits them by partition
 * into {@code ApplyBatch} slices and sends them in one grid operation per partition, instead of one
 * call per event.
 * Callers get a future that completes when the batch is applied on the owner and its backup; no
 * thread waits for it. A request's events ({@link #submitAll}) travel in one batch and share one
 * future: a 5,000-line request costs one completion, not 5,000. A batch that fails is re-sent with
 * the same id, partition by partition (only the partitions whose call failed), then given up with
 * an error the HTTP layer turns into a 503 for the requests with events in those partitions.
 */
public final class GridBatcher implements EventSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GridBatcher.class);

    /** Tuning; the defaults suit one small box. */
    /**
     * @param maxQueueDelay how long an event may wait for the grid before the gateway sheds load
     *                      (503 with Retry-After for {@link #SHED_HOLD}) instead of queueing more
     * @param minQueuedToShed events queued (not yet sent) below which no wait counts as overload
     *                      (see {@link LoadShedder})
     */
    public record Settings(int maxCallsInFlight, int maxBatchEvents, int maxInFlight,
                           int sendAttempts, Duration orderRetention, Duration maxQueueDelay, int minQueuedToShed) {
        public static final int DEFAULT_MIN_QUEUED_TO_SHED = 64;

        public Settings(int maxCallsInFlight, int maxBatchEvents, int maxInFlight, int sendAttempts, Duration orderRetention,
                        Duration maxQueueDelay) {
            this(maxCallsInFlight, maxBatchEvents, maxInFlight, sendAttempts, orderRetention, maxQueueDelay,
                    DEFAULT_MIN_QUEUED_TO_SHED);
        }

        public static Settings defaults() {
            return new Settings(2, 20_000, 200_000, 5, Duration.ofHours(24), Duration.ofMillis(500));
        }
    }

    /** How long load is shed after a slow batch: the Retry-After the gateway answers. */
    public static final Duration SHED_HOLD = Duration.ofSeconds(1);

    /** One caller's events, kept together in one batch; {@code outcomes} is filled by the grid's answer. */
    private record Pending(List<GridEvent> events, Outcome[] outcomes, CompletableFuture<Outcome[]> result,
                           long enqueuedNanos) {
    }

    /** Where one event's outcome goes. */
    private record OutcomeSlot(Pending pending, int index) {
    }

    private final CounterGrid grid;
    private final Settings settings;
    private final Clock clock;
    private final long gatewayId = BatchId.newGatewayId();
    private final AtomicLong batchSequence = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    /** Events submitted and not yet drained into a batch (the queue, and the carried request). */
    private final AtomicLong queued = new AtomicLong();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService retries;
    private final DistributionSummary batchSize;
    private final Timer batchLatency;
    private final Counter batchRetries;
    private final Thread flusher;
    private final Semaphore callSlots;
    /** Drained but left for the next batch, which it would have made larger than the limit (flusher thread only). */
    private Pending carried;
    private final LoadShedder shedder;
    private volatile boolean flusherParked;
    private volatile boolean running = true;

    public GridBatcher(HazelcastInstance grid, Settings settings, Clock clock) {
        this(grid, settings, clock, new SimpleMeterRegistry());
    }

    public GridBatcher(HazelcastInstance grid, Settings settings, Clock clock, MeterRegistry metrics) {
        this.batchSize = DistributionSummary.builder("adgrid.grid.batch.size")
                .description("Events per flush (sent in one grid operation per partition)").baseUnit("events")
                .publishPercentileHistogram().register(metrics);
        this.batchLatency = Timer.builder("adgrid.grid.batch.latency")
                .description("Time from sending a batch to its application on the owner and backup")
                .publishPercentileHistogram().register(metrics);
        this.batchRetries = Counter.builder("adgrid.grid.batch.retries")
                .description("Batches sent again after a failed grid call").register(metrics);
        this.grid = GridMember.counterGrid(grid);
        this.settings = settings;
        this.clock = clock;
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "adgrid-batch-retry"));
        this.callSlots = new Semaphore(settings.maxCallsInFlight());
        this.shedder = new LoadShedder(settings.maxQueueDelay().toNanos(), SHED_HOLD.toNanos(), settings.minQueuedToShed(),
                System.nanoTime());
        this.flusher = daemon(this::flushLoop, "adgrid-batcher");
        flusher.start();
    }

    @Override
    public CompletableFuture<Outcome> submit(GridEvent event) {
        return submitAll(List.of(event)).thenApply(outcomes -> outcomes[0]);
    }

    /** All or none: the events are taken together (or refused together) and answered together. */
    @Override
    public CompletableFuture<Outcome[]> submitAll(List<GridEvent> events) {
        if (!running) {
            return CompletableFuture.failedFuture(new OverloadedException("gateway is shutting down"));
        }
        long now = System.nanoTime();
        if (shedder.shedding(now)) {
            return CompletableFuture.failedFuture(new OverloadedException("the grid answers too slowly"));
        }
        int n = events.size();
        if (n == 0) {
            return CompletableFuture.completedFuture(new Outcome[0]);
        }
        if (inFlight.addAndGet(n) > settings.maxInFlight()) {
            inFlight.addAndGet(-n);
            return CompletableFuture.failedFuture(new OverloadedException("too many events waiting for the grid"));
        }
        CompletableFuture<Outcome[]> result = new CompletableFuture<>();
        queued.addAndGet(n);
        queue.add(new Pending(events, new Outcome[n], result, now));
        if (flusherParked) {
            LockSupport.unpark(flusher);
        }
        return result;
    }

    /** Test only: what the flusher thread does now (WAITING while idle, parked without a timeout). */
    Thread.State flusherState() {
        return flusher.getState();
    }

    /** Events accepted but not yet confirmed by the grid. */
    public long inFlight() {
        return inFlight.get();
    }

    /**
     * Group commit: send as soon as there is something to send and a call slot is free; while all
     * slots are busy, events gather into the next batch. Light load gets the latency of one grid
     * call; heavy load gets large batches, without a fixed wait in either case.
     */
    private void flushLoop() {
        while (running || carried != null || !queue.isEmpty()) {
            if (carried == null && queue.isEmpty()) {
                // Parked until a submit or close unparks it: each sets its part (the queue, running)
                // before reading flusherParked, and this sets flusherParked before reading theirs, so
                // one of the two sees the other's (and a permit given early makes park return at once).
                flusherParked = true;
                if (queue.isEmpty() && running) {
                    LockSupport.park(this);
                }
                flusherParked = false;
                continue;
            }
            callSlots.acquireUninterruptibly();
            List<Pending> drained = drain();
            if (drained.isEmpty()) {
                callSlots.release();
                continue;
            }
            try {
                sendGroupedByPartition(drained);
            } catch (RuntimeException e) {
                callSlots.release();
                log.error("cannot send batch", e);
                drained.forEach(p -> fail(p, e));
            }
        }
    }

    /** Whole requests up to the batch limit; a request larger than the limit goes alone. */
    private List<Pending> drain() {
        List<Pending> out = new ArrayList<>();
        int events = 0;
        Pending p = carried != null ? carried : queue.poll();
        carried = null;
        while (p != null) {
            if (!out.isEmpty() && events + p.events().size() > settings.maxBatchEvents()) {
                carried = p;
                break;
            }
            out.add(p);
            events += p.events().size();
            queued.addAndGet(-p.events().size());
            p = events < settings.maxBatchEvents() ? queue.poll() : null;
        }
        return out;
    }

    /**
     * Splits the drained events by partition and sends the slices in one invocation per owner
     * member; each partition's operation (and backup) gets only its own slice.
     */
    private void sendGroupedByPartition(List<Pending> drained) {
        Map<Integer, Map<Long, List<GridEvent>>> byPartition = new HashMap<>();
        Map<Long, List<OutcomeSlot>> byKey = new HashMap<>();
        int events = 0;
        for (Pending p : drained) {
            List<GridEvent> list = p.events();
            for (int i = 0; i < list.size(); i++) {
                GridEvent event = list.get(i);
                long key = event.routeKey();
                byPartition.computeIfAbsent(grid.partitionOf(key), o -> new HashMap<>())
                        .computeIfAbsent(key, k -> new ArrayList<>()).add(event);
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new OutcomeSlot(p, i));
            }
            events += list.size();
        }
        long orderExpiresMinute = Math.floorDiv(clock.millis() + settings.orderRetention().toMillis(), 60_000L);
        BatchId id = new BatchId(gatewayId, batchSequence.incrementAndGet());
        batchSize.record(events);
        send(id, orderExpiresMinute, byPartition, drained, byKey, drained.get(0).enqueuedNanos(), 1, new HashSet<>());
    }

    /** The first attempt's end frees the call slot; re-sends after a failure run outside the slots. */
    private void releaseSlotAfterFirstAttempt(int attempt) {
        if (attempt == 1) {
            callSlots.release();
        }
    }

    /**
     * Sends the slices; each partition's answer fills in its events' outcomes as it comes. A request
     * is answered once all its events have theirs. Only the partitions whose call failed are sent
     * again (same batch id): the others applied their slice, and sending it again would answer their
     * events "duplicate" of themselves, or, if the batch were then given up, answer 503 for counted events.
     */
    private void send(BatchId id, long orderExpiresMinute, Map<Integer, Map<Long, List<GridEvent>>> slices, List<Pending> waiting,
                      Map<Long, List<OutcomeSlot>> byKey, long oldestEnqueuedNanos, int attempt, Set<Long> unknownKeys) {
        long start = System.nanoTime();
        Map<Integer, CompletableFuture<Map<Long, long[]>>> calls = grid.apply(id, orderExpiresMinute, slices);
        CompletableFuture.allOf(calls.values().toArray(CompletableFuture[]::new)).whenComplete((ignored, anyError) -> {
            releaseSlotAfterFirstAttempt(attempt);
            shedder.batchAnswered(oldestEnqueuedNanos, System.nanoTime(), queued.get());
            Map<Integer, Map<Long, List<GridEvent>>> failed = new HashMap<>();
            Throwable error = null;
            for (Map.Entry<Integer, CompletableFuture<Map<Long, long[]>>> c : calls.entrySet()) {
                Map<Long, List<GridEvent>> slice = slices.get(c.getKey());
                Map<Long, long[]> answers;
                try {
                    answers = c.getValue().join();
                } catch (RuntimeException e) {
                    failed.put(c.getKey(), slice);
                    error = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (!refusedBeforeApplying(error)) {
                        unknownKeys.addAll(slice.keySet()); // the owner may have applied it: later attempts cannot undo that
                    }
                    continue;
                }
                for (Long key : slice.keySet()) {
                    long[] answer = answers.get(key);
                    List<OutcomeSlot> slots = byKey.get(key);
                    for (int i = 0; i < slots.size(); i++) {
                        OutcomeSlot slot = slots.get(i);
                        slot.pending().outcomes()[slot.index()] = outcome(Verdicts.of(answer, i));
                    }
                }
            }
            if (failed.isEmpty()) {
                batchLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                waiting.forEach(this::succeed);
                return;
            }
            Set<Long> unanswered = new HashSet<>();
            failed.values().forEach(slice -> unanswered.addAll(slice.keySet()));
            List<Pending> stillWaiting = new ArrayList<>();
            for (Pending p : waiting) {
                if (p.events().stream().anyMatch(e -> unanswered.contains(e.routeKey()))) {
                    stillWaiting.add(p);
                } else {
                    succeed(p);
                }
            }
            if (attempt < settings.sendAttempts() && !GatedEventSink.refusedByRecovery(error)) {
                log.warn("batch {} attempt {}: {} of {} partitions failed, re-sending them: {}", id, attempt, failed.size(),
                        slices.size(), error.toString());
                batchRetries.increment();
                long backoffMillis = 50L << Math.min(attempt, 6);
                retries.schedule(() -> send(id, orderExpiresMinute, failed, stillWaiting, byKey, oldestEnqueuedNanos, attempt + 1, unknownKeys), backoffMillis,
                        TimeUnit.MILLISECONDS);
            } else {
                Throwable cause = error;
                if (GatedEventSink.refusedByRecovery(cause)) {
                    // A partition lost with every replica, or a grid awaiting a replay (issue 17.5): expected, and logged by the members.
                    log.debug("batch {}: {} partitions refuse to count until their journals are replayed, answering 503 recovering to "
                            + "the {} requests in them", id, failed.size(), stillWaiting.size());
                } else {
                    log.error("batch {} failed {} times in {} partitions, answering 503 to the {} requests in them", id, attempt,
                            failed.size(), stillWaiting.size(), cause);
                }
                for (Pending p : stillWaiting) {
                    boolean mayBeCounted = p.events().stream().anyMatch(e -> unknownKeys.contains(e.routeKey()));
                    fail(p, mayBeCounted ? new OutcomeUnknownException(cause) : cause);
                }
            }
        });
    }

    /**
     * Whether a failed call is known to have changed nothing: the owner refused it before applying
     * (split-brain protection, a journal that cannot write, a partition awaiting its replay). Any
     * other failure (a backup that did not acknowledge, no answer in time, an owner that left) may
     * follow an apply, so the requests in it are given up as {@link OutcomeUnknownException}.
     */
    static boolean refusedBeforeApplying(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SplitBrainProtectionException || t instanceof GridRefusal) {
                return true;
            }
        }
        return false;
    }

    private static Outcome outcome(int verdict) {
        return switch (verdict) {
            case Verdicts.COUNTED -> Outcome.COUNTED;
            case Verdicts.DUPLICATE -> Outcome.DUPLICATE;
            case Verdicts.SUSPECT -> Outcome.SUSPECT;
            case Verdicts.TOO_OLD -> Outcome.TOO_OLD;
            case Verdicts.OVER_KEY_LIMIT -> Outcome.OVER_KEY_LIMIT;
            default -> throw new IllegalStateException("unknown grid verdict " + verdict);
        };
    }

    private void succeed(Pending p) {
        inFlight.addAndGet(-p.events().size());
        p.result().complete(p.outcomes());
    }

    private void fail(Pending p, Throwable error) {
        inFlight.addAndGet(-p.events().size());
        p.result().completeExceptionally(error);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Stops taking events and waits until every accepted one has been confirmed or failed. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(flusher);
        try {
            flusher.join(30_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // Re-sends already scheduled still run: every accepted event gets its answer.
            retries.shutdown();
            retries.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
