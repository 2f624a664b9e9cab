package io.adgrid.grid.hazelcast;

import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import io.adgrid.event.EventType;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.counters.ReplicaCounts;
import io.adgrid.grid.port.RouteKeys;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.map.impl.MapServiceContext;
import com.hazelcast.map.impl.record.Record;
import com.hazelcast.map.impl.recordstore.RecordStore;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.impl.PartitionSpecificRunnable;
import com.hazelcast.spi.impl.operationservice.impl.OperationServiceImpl;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The grid's batch call against public-API variants doing the same work ("One room per concern"):
 * two real data members in this JVM (the product's {@link GridMember#config}: its serialization factories,
 * OBJECT format, one synchronous backup, fail on indeterminate state, 271 partitions, the default ts
 * window), a batch of {@value #EVENTS} events over about 600 routing keys in about 240 partitions (900
 * impressions over the demo's 1,000 banners, 80 clicks of those impressions, 20 sales over its 10
 * campaigns) sent from the first member, as {@code ./adgrid run} plus {@code ./adgrid node} do. Scores are
 * events per second. One batch in flight per JMH thread: {@code -t 2} for the gateway's two calls in flight.
 *
 * <ul>
 *   <li>{@code baseline}: the product's call, {@link PartitionBatchCall} as {@code GridBatcher} uses it: the
 *       events grouped by partition, one {@link BackedUpEntryOperation} per partition with only that
 *       partition's keys and events, answered after the backup applied (and journaled) them; the owner
 *       stamps the batch with its clock and ts window and refuses it where the member may not count.
 *   <li>{@code executeOnKeys}: {@code IMap.executeOnKeys(all keys, one ApplyBatch of all events)}: Hazelcast's
 *       {@code MultipleEntryOperation} on every partition touched, each given every key (it hashes them all to
 *       skip the others') and each backup carrying the whole batch. Its backups are asynchronous (sync backup
 *       count 0 in Hazelcast 5.7): answered on the owner alone.
 *   <li>{@code submitToKeysByPartition}: the events grouped by partition with the public
 *       {@link PartitionService}, one {@code IMap.submitToKeys} per partition with only its events, joined:
 *       the same operation as {@code executeOnKeys}, given only its own keys; backups asynchronous.
 *   <li>{@code submitToKeyEach}: one {@code IMap.submitToKey} per key with only that key's events, joined:
 *       Hazelcast's {@code EntryOperation}, whose backups are synchronous (the map's backup count), failing on
 *       a missing acknowledgement like the product's call ({@code fail.on.indeterminate.state}).
 * </ul>
 *
 * <p>None of the public variants journals, stamps the batch with the owner's clock and window (their events
 * are never refused as too old), or refuses a batch where the product's operation would (journal not ready or
 * full, counting state unknown or refused, frozen member, unmarked partition). Dedup by identity is the
 * processor's own ({@code RouteState}) and holds in all four.
 *
 * <p>Each variant runs the product's processor ({@link ApplyBatch}: one {@code process} per key with that
 * key's events; the backup runs the same processor). Every iteration ends with a check
 * ({@link #verifyAndClear}): both replicas of every entry, read on their partition threads, must hold
 * exactly the events sent, and every event must have been answered counted; then the map is emptied.
 * Once per trial, {@link #probeBackupWait} tells whether the variant answers before its backup has applied
 * the processor (a backup held for a second). Param {@code journal}: whether the members journal
 * ({@link MemberJournal}, as the product's data members do); only {@code baseline} journals anything.
 *
 * <p>{@code interleaved}: the four in turn, {@value #TURN} batches each, in one trial, each call timed
 * on its own, so that all four see the same moments of a shared box (trials run one after another, minutes
 * apart); its per-variant events/s and ratios are printed after each iteration and at the end of the
 * trial (JMH's own score for it is the mix, barriers included), with the process's CPU time per event of
 * each variant's whole turns. Between turns every partition thread of both members runs a no-op first, so an
 * asynchronous backup's backlog is charged to its own variant's CPU time, not to the next. One JMH thread only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class BatchCallBenchmark {

    static final int EVENTS = 1000;
    static final int IMPRESSIONS = 900;
    static final int CLICKS = 80;
    static final int SALES = EVENTS - IMPRESSIONS - CLICKS;
    static final int BANNERS = 1000;
    static final int CAMPAIGNS = 10;
    static final int PUBLISHERS = 100;
    /** Private ports, away from the product's 5701 and the tests' bases. */
    static final int PORT_BASE = 47420;
    /** A key no batch uses, for the backup probe (it creates no entry). */
    static final long PROBE_KEY = RouteKeys.banner(-1);

    /** The product's partition count (application.properties). */
    @Param("271")
    public int partitions;

    /** Whether the members journal what they apply ("on", as the product's data members) or not. */
    @Param({"off", "on"})
    public String journal;

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<MemberJournal> journals = new ArrayList<>();
    private Path journalRoot;
    private HazelcastInstance caller;
    private IMap<Long, RouteState> map;
    private PartitionBatchCall call;
    private PartitionService publicPartitions;
    private final long gatewayId = BatchId.newGatewayId();
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder batches = new LongAdder();
    private final LongAdder sentBeacons = new LongAdder();
    private final LongAdder sentSales = new LongAdder();
    private final LongAdder notCounted = new LongAdder();
    private String variant;
    private String probe;
    private int iteration;
    /** {@code interleaved}: whose turn it is, how many batches of the turn are done, and each variant's time and events. */
    private int turn;
    private int inTurn;
    private final long[] turnNanos = new long[VARIANTS.length];
    private final long[] turnEvents = new long[VARIANTS.length];
    private final long[] measuredNanos = new long[VARIANTS.length];
    private final long[] measuredEvents = new long[VARIANTS.length];
    /** The process's CPU time over each whole turn (its calls and the barrier after them), and the events of those turns. */
    private long turnCpuStart;
    private final long[] cpuNanos = new long[VARIANTS.length];
    private final long[] cpuEvents = new long[VARIANTS.length];
    private final long[] measuredCpuNanos = new long[VARIANTS.length];
    private final long[] measuredCpuEvents = new long[VARIANTS.length];
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    static final String[] VARIANTS = {"baseline", "executeOnKeys", "submitToKeysByPartition", "submitToKeyEach"};
    /** Batches a variant sends in a row in {@code interleaved}. */
    static final int TURN = 10;

    @Setup(Level.Trial)
    public void start(BenchmarkParams params) throws Exception {
        variant = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        String cluster = "batchbench-" + UUID.randomUUID();
        GridSettings settings = new GridSettings(cluster, List.of("127.0.0.1:" + PORT_BASE, "127.0.0.1:" + (PORT_BASE + 1)),
                PORT_BASE, false, partitions, 1);
        ReplayWindow window = ReplayWindow.defaults();
        boolean journaled = journal.equals("on");
        if (journaled) {
            journalRoot = Files.createTempDirectory("adgrid-batchbench-journal");
        }
        UUID life = UUID.randomUUID();
        for (int i = 0; i < 2; i++) {
            MemberJournal j = null;
            if (journaled) {
                j = new MemberJournal(journalRoot.resolve("host" + i), window.minutes());
                j.open(life);
                journals.add(j);
            }
            members.add(GridMember.start(settings, j, window));
        }
        caller = members.get(0);
        await("a cluster of 2 safe members", 120, () -> caller.getCluster().getMembers().size() == 2
                && caller.getPartitionService().isClusterSafe());
        map = caller.getMap(RouteState.MAP);
        call = new PartitionBatchCall(caller);
        publicPartitions = caller.getPartitionService();
        List<String> probed = variant.equals("interleaved") ? List.of(VARIANTS) : List.of(variant);
        StringBuilder probes = new StringBuilder();
        for (String v : probed) {
            probes.append("[").append(v).append(" journal=").append(journal).append("] ").append(probeBackupWait(v)).append('\n');
        }
        probe = probes.toString();
        System.out.print(probe);
    }

    @TearDown(Level.Trial)
    public void stop() {
        if (variant.equals("interleaved")) {
            System.out.print("\n" + probe + rates("[interleaved journal=" + journal + ", all measurement iterations]",
                    measuredNanos, measuredEvents, measuredCpuNanos, measuredCpuEvents));
        }
        for (HazelcastInstance m : members) {
            if (m.getLifecycleService().isRunning()) {
                m.getLifecycleService().terminate();
            }
        }
        journals.forEach(MemberJournal::close);
        if (journalRoot != null) {
            deleteQuietly(journalRoot);
        }
    }

    /** One gateway batch of fresh events (new identities and order ids, ts within the last minute), per invocation. */
    @State(Scope.Thread)
    public static class Batch {
        private final SplittableRandom random = new SplittableRandom();
        List<GridEvent> events;
        BatchId id;
        long orderExpiresMinute;

        @Setup(Level.Invocation)
        public void next(BatchCallBenchmark bench) {
            id = new BatchId(bench.gatewayId, bench.sequence.incrementAndGet());
            long now = System.currentTimeMillis();
            orderExpiresMinute = Math.floorDiv(now + TimeUnit.HOURS.toMillis(24), 60_000L);
            events = events(random, now, id);
        }
    }

    static List<GridEvent> events(SplittableRandom random, long now, BatchId id) {
        List<GridEvent> events = new ArrayList<>(EVENTS);
        for (int i = 0; i < IMPRESSIONS; i++) {
            long banner = random.nextLong(1, BANNERS + 1);
            events.add(new GridEvent(EventType.IMPRESSION, campaignOf(banner), banner, random.nextLong(1, PUBLISHERS + 1),
                    now - random.nextLong(0, 60_000), random.nextLong(), random.nextLong(), null, 0));
        }
        // Clicks of the first impressions: same rendering (banner, publisher, ts, identity bits), counted as clicks.
        for (int i = 0; i < CLICKS; i++) {
            GridEvent shown = events.get(i);
            events.add(new GridEvent(EventType.CLICK, shown.campaignId(), shown.bannerId(), shown.publisherId(), shown.tsMillis(),
                    shown.idHi(), shown.idLo(), null, 0));
        }
        for (int i = 0; i < SALES; i++) {
            long banner = random.nextLong(1, BANNERS + 1);
            events.add(new GridEvent(EventType.SALE, campaignOf(banner), banner, random.nextLong(1, PUBLISHERS + 1),
                    now - random.nextLong(0, 60_000), random.nextLong(), random.nextLong(),
                    "o-" + id.gateway() + "-" + id.sequence() + "-" + i, 1_000_000L + i));
        }
        return events;
    }

    static long campaignOf(long banner) {
        return ((banner - 1) % CAMPAIGNS) + 1;
    }

    // ---------------------------------------------------------------- the variants

    /** (a) The product's call, as GridBatcher#sendGroupedByPartition builds and sends it. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Map<Long, long[]> baseline(Batch batch) {
        Map<Integer, Map<Long, List<GridEvent>>> byPartition = new HashMap<>();
        for (GridEvent e : batch.events) {
            long key = e.routeKey();
            byPartition.computeIfAbsent(call.partitionOf(key), p -> new HashMap<>()).computeIfAbsent(key, k -> new ArrayList<>()).add(e);
        }
        Map<Integer, PartitionBatchCall.Slice> slices = new HashMap<>(byPartition.size() * 2);
        byPartition.forEach((partition, group) ->
                slices.put(partition, new PartitionBatchCall.Slice(group.keySet(), new ApplyBatch(batch.id, batch.orderExpiresMinute, group))));
        Map<Long, long[]> answers = call.<long[]>execute(slices).join();
        return answered(byPartition.values(), answers);
    }

    /** (b) One public multi-key call with the whole batch: Hazelcast's MultipleEntryOperation on every partition touched. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Map<Long, long[]> executeOnKeys(Batch batch) {
        Map<Long, List<GridEvent>> byKey = byKey(batch.events);
        Map<Long, long[]> answers = map.executeOnKeys(byKey.keySet(), new ApplyBatch(batch.id, batch.orderExpiresMinute, byKey));
        return answered(List.of(byKey), answers);
    }

    /** (c1) The public multi-key call once per partition, each with only its partition's events (grouped with the public PartitionService). */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Map<Long, long[]> submitToKeysByPartition(Batch batch) {
        Map<Integer, Map<Long, List<GridEvent>>> byPartition = new HashMap<>();
        for (GridEvent e : batch.events) {
            long key = e.routeKey();
            byPartition.computeIfAbsent(publicPartitions.getPartition(key).getPartitionId(), p -> new HashMap<>())
                    .computeIfAbsent(key, k -> new ArrayList<>()).add(e);
        }
        List<CompletableFuture<Map<Long, long[]>>> calls = new ArrayList<>(byPartition.size());
        for (Map<Long, List<GridEvent>> group : byPartition.values()) {
            calls.add(map.submitToKeys(group.keySet(), new ApplyBatch(batch.id, batch.orderExpiresMinute, group)).toCompletableFuture());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        Map<Long, long[]> answers = new HashMap<>();
        calls.forEach(c -> answers.putAll(c.join()));
        return answered(byPartition.values(), answers);
    }

    /** (c2) One public single-key call per key, each with only that key's events, all in flight at once, then joined. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Map<Long, long[]> submitToKeyEach(Batch batch) {
        Map<Long, List<GridEvent>> byKey = byKey(batch.events);
        List<Long> keys = new ArrayList<>(byKey.size());
        List<CompletableFuture<long[]>> calls = new ArrayList<>(byKey.size());
        for (Map.Entry<Long, List<GridEvent>> e : byKey.entrySet()) {
            keys.add(e.getKey());
            calls.add(map.submitToKey(e.getKey(), new ApplyBatch(batch.id, batch.orderExpiresMinute, Map.of(e.getKey(), e.getValue())))
                    .toCompletableFuture());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        Map<Long, long[]> answers = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            long[] answer = calls.get(i).join();
            if (answer != null) {
                answers.put(keys.get(i), answer);
            }
        }
        return answered(List.of(byKey), answers);
    }

    /** All four in turn; see the class comment. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Map<Long, long[]> interleaved(Batch batch) throws Exception {
        int v = turn;
        if (inTurn == 0) {
            turnCpuStart = os.getProcessCpuTime();
        }
        long start = System.nanoTime();
        Map<Long, long[]> answers = switch (v) {
            case 0 -> baseline(batch);
            case 1 -> executeOnKeys(batch);
            case 2 -> submitToKeysByPartition(batch);
            default -> submitToKeyEach(batch);
        };
        turnNanos[v] += System.nanoTime() - start;
        turnEvents[v] += EVENTS;
        if (++inTurn == TURN) {
            inTurn = 0;
            turn = (turn + 1) % VARIANTS.length;
            barrier();
            cpuNanos[v] += os.getProcessCpuTime() - turnCpuStart;
            cpuEvents[v] += (long) TURN * EVENTS;
        }
        return answers;
    }

    static Map<Long, List<GridEvent>> byKey(List<GridEvent> events) {
        Map<Long, List<GridEvent>> byKey = new HashMap<>();
        for (GridEvent e : events) {
            byKey.computeIfAbsent(e.routeKey(), k -> new ArrayList<>()).add(e);
        }
        return byKey;
    }

    /** Reads each event's verdict as the gateway does, and counts what was sent and what was not answered counted. */
    private Map<Long, long[]> answered(Collection<Map<Long, List<GridEvent>>> groups, Map<Long, long[]> answers) {
        int beacons = 0;
        int sales = 0;
        int refused = 0;
        for (Map<Long, List<GridEvent>> group : groups) {
            for (Map.Entry<Long, List<GridEvent>> e : group.entrySet()) {
                long[] answer = answers.get(e.getKey());
                List<GridEvent> events = e.getValue();
                for (int i = 0; i < events.size(); i++) {
                    if (events.get(i).type() == EventType.SALE) {
                        sales++;
                    } else {
                        beacons++;
                    }
                    int verdict = ApplyBatch.verdict(answer, i);
                    if (verdict != ApplyBatch.COUNTED && verdict != ApplyBatch.SUSPECT) {
                        refused++;
                    }
                }
            }
        }
        batches.increment();
        sentBeacons.add(beacons);
        sentSales.add(sales);
        notCounted.add(refused);
        return answers;
    }

    // ---------------------------------------------------------------- exactness

    /**
     * After each iteration (warm-up included): both replicas of every entry must hold exactly what was
     * sent, and no event may have been answered other than counted; then the map is emptied for the next.
     * The variants whose backups are asynchronous get up to 60 s for their backups to catch up.
     */
    @TearDown(Level.Iteration)
    public void verifyAndClear(IterationParams params) throws Exception {
        iteration++;
        if (variant.equals("interleaved")) {
            boolean measured = params.getType() == IterationType.MEASUREMENT;
            System.out.printf(Locale.ROOT, "%n%s", rates("[interleaved journal=" + journal + " iteration " + iteration
                    + (measured ? "" : ", warm-up") + "]", turnNanos, turnEvents, cpuNanos, cpuEvents));
            for (int v = 0; v < VARIANTS.length; v++) {
                if (measured) {
                    measuredNanos[v] += turnNanos[v];
                    measuredEvents[v] += turnEvents[v];
                    measuredCpuNanos[v] += cpuNanos[v];
                    measuredCpuEvents[v] += cpuEvents[v];
                }
                turnNanos[v] = 0;
                turnEvents[v] = 0;
                cpuNanos[v] = 0;
                cpuEvents[v] = 0;
            }
            // The next iteration starts a new turn: the CPU of a turn cut by the iteration's end (and of this check) is not counted.
            inTurn = 0;
            turn = (turn + 1) % VARIANTS.length;
        }
        long beacons = sentBeacons.sumThenReset();
        long sales = sentSales.sumThenReset();
        long refused = notCounted.sumThenReset();
        long sentBatches = batches.sumThenReset();
        // Queued behind whatever the partition threads still have to do (an asynchronous backup's
        // backlog, which the iteration's time did not include): how long it takes says how large that was.
        long readStart = System.nanoTime();
        long[] first = replicaTotals();
        long firstReadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readStart);
        long[] now = first;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(now[2] == beacons && now[3] == sales) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            now = replicaTotals();
        }
        boolean ownersExact = now[0] == beacons && now[1] == sales;
        boolean backupsExact = now[2] == beacons && now[3] == sales;
        boolean backupsAtFirstRead = first[2] == beacons && first[3] == sales;
        boolean exact = ownersExact && backupsExact && refused == 0;
        System.out.printf(Locale.ROOT, "%n[verify %s journal=%s iteration %d] %,d batches, sent %,d beacons + %,d sales; owners %,d + %,d; "
                        + "backups %,d + %,d (%s at the first read, done in %d ms); answered not counted: %,d -> %s%n",
                variant, journal, iteration, sentBatches, beacons, sales, now[0], now[1], now[2], now[3],
                backupsAtFirstRead ? "equal" : "behind by " + (beacons + sales - first[2] - first[3]), firstReadMillis, refused,
                exact ? "EXACT" : "NOT EXACT");
        if (!exact) {
            throw new IllegalStateException(variant + " did not count exactly: see the line above");
        }
        map.clear();
        await("an empty map on both replicas", 60, () -> {
            long[] t = replicaTotals();
            return t[0] == 0 && t[1] == 0 && t[2] == 0 && t[3] == 0;
        });
    }

    /**
     * Each variant's events per second of its own calls' time and its ratio to {@code baseline}'s; and the
     * events per CPU-second of the whole process (caller and both members, backups included) over its whole
     * turns, and that ratio: what a saturated box could take, and less disturbed by other load than the time.
     */
    static String rates(String title, long[] nanos, long[] events, long[] cpu, long[] cpuEvents) {
        StringBuilder out = new StringBuilder(title).append('\n');
        double base = nanos[0] == 0 ? Double.NaN : events[0] * 1e9 / nanos[0];
        double cpuBase = cpu[0] == 0 ? Double.NaN : cpuEvents[0] * 1e9 / cpu[0];
        for (int v = 0; v < VARIANTS.length; v++) {
            double rate = nanos[v] == 0 ? Double.NaN : events[v] * 1e9 / nanos[v];
            double perCpu = cpu[v] == 0 ? Double.NaN : cpuEvents[v] * 1e9 / cpu[v];
            out.append(String.format(Locale.ROOT, "  %-24s %,9.0f events/s %5.2f x baseline (%,d events in %,.1f s) | "
                            + "%,9.0f events/CPU-s %5.2f x baseline (%,d events)%n",
                    VARIANTS[v], rate, rate / base, events[v], nanos[v] / 1e9, perCpu, perCpu / cpuBase, cpuEvents[v]));
        }
        return out.toString();
    }

    /** Waits until every partition thread of both members has run what was queued before (a no-op behind it). */
    void barrier() throws InterruptedException {
        for (HazelcastInstance member : members) {
            onEveryPartitionThread(member, "run the barrier", partition -> { });
        }
    }

    /**
     * Counts on each member, on each partition's thread (where the state is changed, so no batch is seen
     * half-applied): {owner beacons, owner sales, backup beacons, backup sales}. Internal API, for the check only.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    long[] replicaTotals() throws InterruptedException {
        long[] totals = new long[4];
        for (HazelcastInstance member : members) {
            NodeEngine engine = ((HazelcastInstanceProxy) member).getOriginal().node.getNodeEngine();
            MapServiceContext context = engine.<MapService>getService(MapService.SERVICE_NAME).getMapServiceContext();
            onEveryPartitionThread(member, "answer the count", partition -> {
                RecordStore store = context.getExistingRecordStore(partition, RouteState.MAP);
                if (store == null) {
                    return;
                }
                boolean owner = engine.getPartitionService().getPartition(partition).isLocal();
                long[] t = new long[2];
                store.forEach((java.util.function.BiConsumer<Data, Record>) (key, record) ->
                        ReplicaCounts.addTo((RouteState) record.getValue(), t), !owner);
                synchronized (totals) {
                    totals[owner ? 0 : 2] += t[ReplicaCounts.BEACONS];
                    totals[owner ? 1 : 3] += t[ReplicaCounts.SALES];
                }
            });
        }
        synchronized (totals) {
            return totals.clone();
        }
    }

    /** Runs {@code work} on every partition thread of {@code member} and waits for all of them (60 s at most). */
    private static void onEveryPartitionThread(HazelcastInstance member, String what, java.util.function.IntConsumer work)
            throws InterruptedException {
        NodeEngine engine = ((HazelcastInstanceProxy) member).getOriginal().node.getNodeEngine();
        OperationServiceImpl operations = (OperationServiceImpl) engine.getOperationService();
        int count = engine.getPartitionService().getPartitionCount();
        CountDownLatch done = new CountDownLatch(count);
        for (int p = 0; p < count; p++) {
            int partition = p;
            operations.execute(new PartitionSpecificRunnable() {
                @Override
                public int getPartitionId() {
                    return partition;
                }

                @Override
                public void run() {
                    try {
                        work.accept(partition);
                    } finally {
                        done.countDown();
                    }
                }
            });
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the partition threads did not " + what + " in 60 s");
        }
    }

    // ---------------------------------------------------------------- does the answer wait for the backup?

    /** Holds the probe's backup processors; static: the members run in this JVM. */
    static volatile CountDownLatch backupHeld = new CountDownLatch(0);

    /** Changes nothing on the owner; its backup waits for {@link #backupHeld} (at most 4 s, under Hazelcast's 5-s backup timeout). */
    static final class Probe implements EntryProcessor<Long, RouteState, String>, Serializable {
        @Override
        public String process(Map.Entry<Long, RouteState> entry) {
            return "owner";
        }

        @Override
        public EntryProcessor<Long, RouteState, String> getBackupProcessor() {
            return new HeldBackup();
        }
    }

    static final class HeldBackup implements EntryProcessor<Long, RouteState, String>, Serializable {
        @Override
        public String process(Map.Entry<Long, RouteState> entry) {
            try {
                backupHeld.await(4, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
    }

    /** Sends the probe by {@code variant} with the backup held for a second: answered before the backup applied it, or not. */
    private String probeBackupWait(String variant) throws Exception {
        backupHeld = new CountDownLatch(1);
        Probe p = new Probe();
        Set<Long> keys = Set.of(PROBE_KEY);
        CompletableFuture<?> answer = switch (variant) {
            case "baseline" -> call.execute(call.slices(keys, k -> p));
            case "executeOnKeys" -> CompletableFuture.supplyAsync(() -> map.executeOnKeys(keys, p));
            case "submitToKeysByPartition" -> map.submitToKeys(keys, p).toCompletableFuture();
            case "submitToKeyEach" -> map.submitToKey(PROBE_KEY, p).toCompletableFuture();
            default -> throw new IllegalArgumentException("no probe for " + variant);
        };
        Thread.sleep(1_000);
        boolean answeredWhileHeld = answer.isDone();
        backupHeld.countDown();
        answer.get(30, TimeUnit.SECONDS);
        return answeredWhileHeld
                ? "backup probe: answered while the backup was held (the backup is asynchronous: a 2xx on the owner alone)"
                : "backup probe: not answered until the backup applied it (synchronous backup)";
    }

    /** A condition to wait for, that may itself wait. */
    interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(String what, int seconds, Condition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not reached in " + seconds + " s: " + what);
            }
            Thread.sleep(50);
        }
    }

    static void deleteQuietly(Path dir) {
        try {
            MemberJournal.deleteDirectory(dir);
        } catch (UncheckedIOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
