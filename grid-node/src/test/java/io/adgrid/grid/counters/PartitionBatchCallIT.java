package io.adgrid.grid.counters;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.hazelcast.PartitionBatchCall;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.map.EntryProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A batch call is answered only once the backup replica has applied it too, or it fails. */
class PartitionBatchCallIT {

    private static final int PORT_BASE = TestPorts.of(6400);
    /** Holds the backup processors of the current test; static because members run in this JVM. */
    private static volatile CountDownLatch backupGate = new CountDownLatch(0);

    private final List<HazelcastInstance> members = new ArrayList<>();

    @AfterEach
    void stop() {
        backupGate.countDown();
        TestGrid.terminate(members);
    }

    @Test
    void callIsNotAnsweredBeforeTheBackupHasAppliedIt() throws Exception {
        // Far above the 1 s the backup is held: on a starved box (a quiet run, several forks and a second
        // module beside it) a backup ack once took more than 30 s, and the call failed instead of answering.
        PartitionBatchCall call = twoMembers(Duration.ofSeconds(120));
        backupGate = new CountDownLatch(1);

        CompletableFuture<Map<Long, Object>> result = call.execute(call.slices(List.of(42L), keys -> new MarkEntry()));

        // The owner has run the processor at once; the answer must wait for the blocked backup.
        Thread.sleep(1_000);
        assertThat(result).isNotDone();
        backupGate.countDown();
        assertThat(result.get(150, TimeUnit.SECONDS)).containsEntry(42L, "owner");
    }

    @Test
    void callFailsWhenTheBackupNeverAcknowledges() {
        PartitionBatchCall call = twoMembers(Duration.ofSeconds(2));
        backupGate = new CountDownLatch(1);

        CompletableFuture<Map<Long, Object>> result = call.execute(call.slices(List.of(42L), keys -> new MarkEntry()));

        // Without fail-on-indeterminate-state Hazelcast would complete it after the timeout, owner only.
        assertThat(result).failsWithin(Duration.ofSeconds(30))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(IndeterminateOperationStateException.class);
    }

    /**
     * Hazelcast runs a continuation of its invocation futures on its default executor: the JDK's common
     * pool, or, where that pool has one thread (a 2-core box), a new thread for every call. The batch
     * call continues on the member's async executor instead. Before, on the 2-core box, 386,000 threads
     * were started within three minutes of beacons, and the gateway answered 6,000 a second, not 41,000.
     */
    @Test
    void answersContinueOnHazelcastsAsyncThreadsNotOnAThreadPerCall() throws Exception {
        PartitionBatchCall call = twoMembers(Duration.ofSeconds(30));
        long startedBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();

        List<String> threads = new ArrayList<>();
        for (long key = 1; key <= 50; key++) {
            // The stage runs on the thread that completed the call, or here when the call was complete already.
            threads.add(call.execute(call.slices(List.of(key), keys -> new Unmarked()))
                    .thenApply(results -> Thread.currentThread().getName()).get(30, TimeUnit.SECONDS));
        }
        String here = Thread.currentThread().getName();
        assertThat(threads).as("the threads that completed the calls").anyMatch(t -> t.contains(".async.thread-"))
                .allMatch(t -> t.contains(".async.thread-") || t.equals(here));
        long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - startedBefore;
        assertThat(started).as("threads started during 50 calls").isLessThan(10);
    }

    private PartitionBatchCall twoMembers(Duration backupTimeout) {
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(getClass()), PORT_BASE);
        for (int i = 0; i < 2; i++) {
            Config config = GridMember.config(settings);
            config.setProperty("hazelcast.operation.backup.timeout.millis", Long.toString(backupTimeout.toMillis()));
            members.add(Hazelcast.newHazelcastInstance(config));
        }
        TestGrid.awaitClusterSize(members.get(0), 2, Duration.ofSeconds(60));
        return new PartitionBatchCall(members.get(0));
    }

    /** Creates the entry on the owner; its backup waits for {@link #backupGate} first. */
    static final class MarkEntry implements EntryProcessor<Long, RouteState, Object>, Serializable {
        @Override
        public Object process(Map.Entry<Long, RouteState> entry) {
            entry.setValue(new RouteState());
            return "owner";
        }

        @Override
        public EntryProcessor<Long, RouteState, Object> getBackupProcessor() {
            return new BlockedBackup();
        }
    }

    /** Reads its entry, changes nothing; its backup does nothing. */
    static final class Unmarked implements EntryProcessor<Long, RouteState, Object>, Serializable {
        @Override
        public Object process(Map.Entry<Long, RouteState> entry) {
            return null;
        }
    }

    static final class BlockedBackup implements EntryProcessor<Long, RouteState, Object>, Serializable {
        @Override
        public Object process(Map.Entry<Long, RouteState> entry) {
            try {
                backupGate.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            entry.setValue(new RouteState());
            return null;
        }
    }
}
