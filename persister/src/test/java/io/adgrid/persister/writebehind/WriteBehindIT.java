package io.adgrid.persister.writebehind;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.counters.RouteState;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The write-behind against two real members and a real PostgreSQL. */
class WriteBehindIT {

    private static final int PORT_BASE = TestPorts.of(5750);
    private static final int WINDOW_MINUTES = 10;
    private static final GridSettings SETTINGS = TestGrid.settings(TestGrid.uniqueClusterName(WriteBehindIT.class), PORT_BASE);

    private static TestDatabase db;
    private static final List<HazelcastInstance> members = new ArrayList<>();

    private IMap<Long, RouteState> map;
    private GridEventFeeder feeder;
    private CounterWriter writer;
    private WriteBehind writeBehind;

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        members.addAll(TestGrid.startMembers(SETTINGS, 2));
    }

    @AfterAll
    static void stop() {
        TestGrid.terminate(members);
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void freshState() {
        // A test may have killed a member: bring the cluster back to two.
        members.removeIf(m -> !m.getLifecycleService().isRunning());
        while (members.size() < 2) {
            members.add(GridMember.start(SETTINGS));
        }
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        map = members.get(0).getMap(GridMember.COUNTERS_MAP);
        map.clear();
        db.truncateCounters();
        feeder = new GridEventFeeder(members.get(0));
        writer = new CounterWriter(db.dataSource());
        writeBehind = new WriteBehind(members.get(0), writer, Clock.systemUTC(), WINDOW_MINUTES);
    }

    @Test
    void cycleWritesExactSumsAndLeavesNoPendingCountsInTheGrid() {
        applyMixedTraffic(40, 3);

        WriteBehind.CycleResult r = writeBehind.cycle(map.keySet());

        assertThat(db.counterRows()).isEqualTo(feeder.expected());
        assertThat(r.newBatches()).isEqualTo(r.batches()).isEqualTo(map.size());
        assertThat(map.values()).allSatisfy(state -> assertThat(state.pendingKeys()).isZero());
        assertThat(writeBehind.cycle(map.keySet()).batches()).isZero();
        assertThat(db.counterRows()).isEqualTo(feeder.expected());
    }

    @Test
    void crashBetweenWriteAndAcknowledgementDoesNotDoubleCount() throws Exception {
        applyMixedTraffic(30, 2);
        Counts sealedPart = feeder.expectedTotal();

        // A write-behind that dies after its commit, before it acknowledges.
        Map<Long, SealedBatch> sealed = sealAll(members.get(1));
        new CounterWriter(db.dataSource()).write(sealed.values());
        assertThat(db.counterTotals()).isEqualTo(sealedPart);
        // More events arrive while the batch waits for its acknowledgement.
        applyMixedTraffic(30, 1);

        WriteBehind.CycleResult retry = writeBehind.cycle(map.keySet());

        assertThat(retry.batches()).isEqualTo(sealed.size());
        assertThat(retry.newBatches()).isZero();
        assertThat(db.counterTotals()).as("the re-written batch is skipped").isEqualTo(sealedPart);

        writeBehind.cycle(map.keySet());

        assertThat(db.counterRows()).isEqualTo(feeder.expected());
        assertThat(map.values()).allSatisfy(state -> assertThat(state.pendingKeys()).isZero());
    }

    @Test
    void sealedBatchSurvivesTheLossOfItsMemberWithoutDoubleCounting() throws Exception {
        applyMixedTraffic(60, 2);
        Map<Long, SealedBatch> sealed = sealAll(members.get(0));
        writer.write(sealed.values());
        applyMixedTraffic(60, 1);
        long onVictim = map.keySet().stream()
                .filter(k -> members.get(1).getPartitionService().getPartition(k).getOwner().localMember())
                .count();
        assertThat(onVictim).as("the killed member owns some entries").isPositive();

        members.get(1).getLifecycleService().terminate();
        TestGrid.awaitClusterSize(members.get(0), 1, Duration.ofSeconds(60));
        writeBehind.flushAll();

        assertThat(db.counterRows()).isEqualTo(feeder.expected());
    }

    @Test
    void flushAllWritesEverythingAppliedBeforeItWasCalledWhileEventsKeepArriving() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong appliedImpressions = new AtomicLong();
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> produceUntilStopped(running, appliedImpressions));
        try {
            Wait.until("traffic before the flush", Duration.ofSeconds(60), () -> appliedImpressions.get() >= 2_000 || producer.isDone());
            assertThat(producer).isNotDone();

            long appliedBeforeFlush = appliedImpressions.get();
            writeBehind.flushAll();
            long inDatabase = db.counterTotals().impressions;

            assertThat(inDatabase).isGreaterThanOrEqualTo(appliedBeforeFlush);
        } finally {
            running.set(false);
            producer.get(60, TimeUnit.SECONDS);
        }
        writeBehind.flushAll();
        assertThat(db.counterTotals().impressions).isEqualTo(appliedImpressions.get());
        assertThat(db.counterRows()).isEqualTo(feeder.expected());
    }

    @Test
    void flushAllIsCompleteWhileEveryMemberRunsItsScheduledCycles() throws Exception {
        List<WriteBehind> scheduled = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong appliedImpressions = new AtomicLong();
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> produceUntilStopped(running, appliedImpressions));
        try {
            for (HazelcastInstance m : members) {
                WriteBehind w = new WriteBehind(m, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW_MINUTES);
                w.start(Duration.ofMillis(20));
                scheduled.add(w);
            }
            Wait.until("traffic before the flush", Duration.ofSeconds(60), () -> appliedImpressions.get() >= 2_000 || producer.isDone());
            assertThat(producer).isNotDone();

            for (int round = 0; round < 3; round++) {
                long appliedBeforeFlush = appliedImpressions.get();
                writeBehind.flushAll();
                assertThat(db.counterTotals().impressions).isGreaterThanOrEqualTo(appliedBeforeFlush);
            }
        } finally {
            running.set(false);
            producer.get(60, TimeUnit.SECONDS);
            scheduled.forEach(WriteBehind::close);
        }
        writeBehind.flushAll();
        assertThat(db.counterRows()).isEqualTo(feeder.expected());
        assertThat(scheduled).allSatisfy(w -> assertThat(w.lastError()).isNull());
    }

    @Test
    void entriesAreRemovedOncePersistedAndTheirNoncesExpired() throws Exception {
        List<GridEvent> events = applyMixedTraffic(20, 2);
        writeBehind.cycle(map.keySet());
        int entries = map.size();

        // Within the window the entries stay: they remember what they counted.
        assertThat(entries).isPositive();
        Map<Long, long[]> replayed = feeder.replay(events);
        assertThat(replayed).hasSize(entries).allSatisfy((k, duplicates) -> assertThat(duplicates).isNotNull());
        writeBehind.cycle(map.keySet());
        assertThat(map.size()).isEqualTo(entries);

        WriteBehind anHourLater = new WriteBehind(members.get(0), writer,
                Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC), WINDOW_MINUTES);
        anHourLater.cycle(map.keySet());

        assertThat(map.isEmpty()).isTrue();
        assertThat(db.counterRows()).isEqualTo(feeder.expected());
    }

    @Test
    void entriesHoldingUnpersistedCountsAreRemovedOnlyAfterTheirCountsAreWritten() {
        applyMixedTraffic(20, 2);
        WriteBehind anHourLater = new WriteBehind(members.get(0), writer,
                Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC), WINDOW_MINUTES);

        anHourLater.cycle(map.keySet());

        assertThat(map.isEmpty()).isTrue();
        assertThat(db.counterRows()).isEqualTo(feeder.expected());
    }

    /** Impressions, clicks and sales of {@code banners} banners (campaign = banner % 5 + 1) over the last minutes. */
    private List<GridEvent> applyMixedTraffic(int banners, int batches) {
        List<GridEvent> all = new ArrayList<>();
        Instant now = Instant.now();
        for (int batch = 0; batch < batches; batch++) {
            List<GridEvent> events = new ArrayList<>();
            for (long b = 1; b <= banners; b++) {
                long campaign = b % 5 + 1;
                for (int m = 0; m < 3; m++) {
                    Instant ts = now.minus(Duration.ofMinutes(m)).minusMillis(b);
                    long publisher = 1 + (b + m) % 4;
                    events.add(feeder.impression(campaign, b, publisher, ts));
                    events.add(feeder.impression(campaign, b, publisher, ts));
                    if ((b + m) % 3 == 0) {
                        events.add(feeder.clickOf(events.get(events.size() - 1)));
                    } else if ((b + m) % 5 == 0) {
                        events.add(feeder.click(campaign, b, publisher, ts)); // no impression: a suspect click
                    }
                    if ((b + m) % 7 == 0) {
                        events.add(feeder.sale(campaign, b, publisher, ts, 100_000)); // 0.10
                    }
                }
            }
            feeder.apply(events);
            all.addAll(events);
        }
        return all;
    }

    private void produceUntilStopped(AtomicBoolean running, AtomicLong appliedImpressions) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running.get()) {
            List<GridEvent> events = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long banner = 1 + random.nextInt(100);
                events.add(feeder.impression(banner % 5 + 1, banner, 1 + random.nextInt(5), Instant.now()));
            }
            feeder.apply(events);
            appliedImpressions.addAndGet(events.size());
        }
    }

    private Map<Long, SealedBatch> sealAll(HazelcastInstance via) {
        IMap<Long, RouteState> m = via.getMap(GridMember.COUNTERS_MAP);
        long nowMinute = Math.floorDiv(System.currentTimeMillis(), 60_000L);
        Map<Long, SealedBatch> sealed = new HashMap<>(m.executeOnKeys(m.keySet(), new SealPending(nowMinute, WINDOW_MINUTES)));
        sealed.values().removeIf(b -> b == null);
        assertThat(sealed).isNotEmpty();
        return sealed;
    }

}
