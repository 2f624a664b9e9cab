package io.adgrid.gateway.server;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.GridBatcher;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.GridTotals;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The real gateway for socket-level tests: a Netty {@link GatewayServer} on a free port, the real
 * {@link BeaconService} and {@link BeaconValidator} over {@link TestCatalog} (with the system
 * clock), the real {@link GridBatcher} and one real Hazelcast data member on a private cluster.
 */
final class LiveGateway implements AutoCloseable {

    final HazelcastInstance member;
    final GridBatcher batcher;
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    final GatewayServer server;

    LiveGateway(Class<?> testClass, int portBase, GatewayServer.Limits limits) {
        GridSettings settings = TestGrid.settings(TestGrid.uniqueClusterName(testClass), portBase);
        member = GridMember.start(settings);
        try {
            // These tests are about bad input, not overload: a busy test box must not make the
            // gateway shed valid beacons (503 overloaded) because a batch waited over 500 ms.
            GridBatcher.Settings d = GridBatcher.Settings.defaults();
            batcher = new GridBatcher(member, new GridBatcher.Settings(d.maxCallsInFlight(), d.maxBatchEvents(), d.maxInFlight(),
                    d.sendAttempts(), d.orderRetention(), Duration.ofSeconds(30)), Clock.systemUTC(), metrics);
            BeaconService service = new BeaconService(
                    new BeaconValidator(TestCatalog.CATALOG, Clock.systemUTC(), ValidationSettings.defaults()),
                    batcher, () -> member.getLifecycleService().isRunning(), metrics);
            server = GatewayServer.start("127.0.0.1", 0, 2, limits, service);
        } catch (RuntimeException e) {
            TestGrid.terminate(List.of(member));
            throw e;
        }
    }

    int port() {
        return server.port();
    }

    /**
     * Everything the grid holds, read back from it: impressions, clicks, conversions, revenue. Suspect
     * clicks (fraud signals: these suites show no impression first) are folded into clicks: what is
     * checked here is that a click is counted once or not at all, not how it is classified.
     */
    Counts totals() {
        Counts sum = GridTotals.sum(member);
        sum.clicks += sum.suspectClicks;
        sum.suspectClicks = 0;
        return sum;
    }

    /** Sum of {@code adgrid.gateway.events} with this outcome, over every type and reason. */
    long events(String outcome) {
        return (long) metrics.find("adgrid.gateway.events").tag("outcome", outcome).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    /** Every (outcome, reason) the gateway counted so far, with its count. */
    Map<String, Long> reasons() {
        Map<String, Long> out = new TreeMap<>();
        metrics.find("adgrid.gateway.events").counters().forEach(c -> out.merge(
                c.getId().getTag("outcome") + "/" + c.getId().getTag("reason"), (long) c.count(), Long::sum));
        return out;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            try {
                batcher.close();
            } finally {
                TestGrid.terminate(List.of(member));
            }
        }
    }
}
