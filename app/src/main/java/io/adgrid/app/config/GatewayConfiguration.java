package io.adgrid.app.config;

import java.time.Clock;
import io.adgrid.app.health.CatalogHealth;
import io.adgrid.gateway.batching.GatedEventSink;
import io.adgrid.gateway.batching.GridBatcher;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.catalog.CatalogCache;
import io.adgrid.gateway.catalog.CatalogLimits;
import io.adgrid.gateway.catalog.CatalogStore;
import io.adgrid.gateway.fraud.ClickRateLimiter;
import io.adgrid.gateway.fraud.KnownRobots;
import io.adgrid.gateway.server.ConnectionLimits;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.gateway.server.OverloadGuard;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.persister.catalog.JdbcCatalogSource;
import io.adgrid.persister.journal.JournalKeeper;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The beacon port (8080): validation against the gateway's off-heap catalog (reopened from its
 * files at start, refreshed incrementally from PostgreSQL), batching into the grid.
 */
@Configuration(proxyBeanMethods = false)
public class GatewayConfiguration {

    @Bean(destroyMethod = "close")
    CatalogCache catalogCache(HikariDataSource dataSource, AdGridProperties props, MeterRegistry metrics) {
        AdGridProperties.Catalog c = props.catalog();
        CatalogStore store = CatalogStore.open(c.directory(props.varDir()),
                new CatalogLimits(c.maxBanners(), c.maxPublishers(), c.maxCampaigns()));
        return new CatalogCache(store, new JdbcCatalogSource(dataSource), metrics).start(props.gateway().catalogRefresh());
    }

    @Bean
    CatalogHealth catalogHealthIndicator(CatalogCache catalog) {
        return new CatalogHealth(catalog);
    }

    @Bean(destroyMethod = "close")
    GridBatcher gridBatcher(HazelcastInstance grid, AdGridProperties props, Clock clock, MeterRegistry metrics) {
        AdGridProperties.Gateway g = props.gateway();
        GridBatcher batcher = new GridBatcher(grid, new GridBatcher.Settings(g.maxCallsInFlight(), g.maxBatchEvents(),
                g.maxInFlight(), 5, g.orderRetention(), g.maxQueueDelay()), clock, metrics);
        Gauge.builder("adgrid.gateway.in.flight", batcher, GridBatcher::inFlight)
                .description("Events accepted but not yet confirmed by the grid").register(metrics);
        return batcher;
    }

    /** Closed while the grid replays the journals of a dead life; in {@code run}, after this process's own replay. */
    @Bean(destroyMethod = "close")
    RecoveryGate recoveryGate(HazelcastInstance grid, ObjectProvider<JournalKeeper> ownJournal) {
        ownJournal.getIfAvailable();
        return new RecoveryGate(grid);
    }

    /** User-Agents whose judgement is kept: real traffic repeats a few thousand most of the time (a Caffeine cache keeps those). */
    private static final int KNOWN_USER_AGENTS = 100_000;
    /** New User-Agents waiting for Yauaa (0.1-0.5 ms each) before the gateway answers 503: at most about half a second's work. */
    private static final int NEW_USER_AGENTS_WAITING = 1_000;

    @Bean(destroyMethod = "close")
    KnownRobots knownRobots(AdGridProperties props) {
        return props.fraud().knownRobots() ? KnownRobots.detecting(KNOWN_USER_AGENTS, NEW_USER_AGENTS_WAITING) : KnownRobots.off();
    }

    @Bean
    BeaconService beaconService(CatalogCache catalog, GridBatcher batcher, RecoveryGate gate, HazelcastInstance grid,
                                AdGridProperties props, Clock clock, MeterRegistry metrics, KnownRobots robots) {
        BeaconValidator validator = new BeaconValidator(catalog.view(), clock,
                new ValidationSettings(props.gateway().maxAge(), props.gateway().maxAhead(), props.attribution().clickParam(),
                        props.attribution().window()));
        // Ready means this gateway can answer: not "the cluster is safe", which is false on every
        // gateway at once while partitions migrate (and Hazelcast retries calls through that).
        AdGridProperties.Fraud fraud = props.fraud();
        Gauge.builder("adgrid.gateway.recovering", gate, g -> g.open() ? 0 : 1)
                .description("1 while this gateway answers 503 recovering: journals of a dead grid life await replay, or no data "
                        + "member says otherwise (see /healthz for which)").register(metrics);
        return new BeaconService(validator, new GatedEventSink(batcher, gate::open), () -> catalog.isLoaded() && gate.open()
                && robots.ready() && grid.getLifecycleService().isRunning()
                && grid.getCluster().getMembers().stream().anyMatch(m -> !m.isLiteMember()), metrics,
                new ClickRateLimiter(fraud.maxClicksPerIpPerMinute(), clock), fraud.trustedProxy(), robots)
                .downReason(() -> !grid.getLifecycleService().isRunning() ? "grid member not running"
                        : grid.getCluster().getMembers().stream().allMatch(m -> m.isLiteMember()) ? "no data member in the grid"
                        : !catalog.isLoaded() ? "catalog not loaded yet"
                        : !robots.ready() ? "known-robot rules still loading"
                        : gate.closedBecause());
    }

    @Bean
    OverloadGuard overloadGuard(AdGridProperties props, MeterRegistry metrics) {
        AdGridProperties.Gateway g = props.gateway();
        OverloadGuard guard = new OverloadGuard(new OverloadGuard.Settings(g.maxPendingRequests(), g.maxRequestDelay(),
                g.maxConnections(), g.idleTimeout(), g.overloadMinPending()));
        Gauge.builder("adgrid.gateway.admitted.share", guard, OverloadGuard::admittedShare)
                .description("Share of beacon requests the gateway handles now (the rest are answered 503: overload)").register(metrics);
        Gauge.builder("adgrid.gateway.pending.requests", guard, OverloadGuard::pendingRequests)
                .description("Beacon requests read and not yet answered").register(metrics);
        Gauge.builder("adgrid.gateway.connections", guard, OverloadGuard::openConnections)
                .description("Open beacon connections").register(metrics);
        FunctionCounter.builder("adgrid.gateway.connections.refused", guard, OverloadGuard::refusedConnections)
                .description("Beacon connections closed at once because the connection cap was reached").register(metrics);
        return guard;
    }

    @Bean(destroyMethod = "close")
    GatewayServer gatewayServer(BeaconService service, OverloadGuard guard, AdGridProperties props) {
        AdGridProperties.Gateway g = props.gateway();
        int threads = g.threads() > 0 ? g.threads() : Runtime.getRuntime().availableProcessors();
        GatewayServer.Limits limits = new GatewayServer.Limits(g.maxUrlLength(), Math.toIntExact(g.maxHeaderSize().toBytes()),
                Math.toIntExact(g.maxBodySize().toBytes()), Math.toIntExact(g.maxSaleBodySize().toBytes()));
        return GatewayServer.start(g.host(), g.port(), threads, limits, service, guard, new ConnectionLimits(g.headerTimeout(),
                g.bodyTimeout(), g.maxBufferedBodies().toBytes(), g.maxConnectionsPerAddress()));
    }
}
