package io.adgrid.app.config;

import java.time.Clock;
import io.adgrid.gateway.batching.GridBatcher;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.catalog.CatalogCache;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.persister.catalog.JdbcCatalogSource;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The beacon port (8080): validation against the cached catalog, batching into the grid. */
@Configuration(proxyBeanMethods = false)
public class GatewayConfiguration {

    @Bean(destroyMethod = "close")
    CatalogCache catalogCache(HikariDataSource dataSource, AdGridProperties props) {
        return new CatalogCache(new JdbcCatalogSource(dataSource)).start(props.gateway().catalogRefresh());
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

    @Bean
    BeaconService beaconService(CatalogCache catalog, GridBatcher batcher, HazelcastInstance grid, AdGridProperties props,
                                Clock clock, MeterRegistry metrics) {
        BeaconValidator validator = new BeaconValidator(catalog, clock,
                new ValidationSettings(props.gateway().maxAge(), props.gateway().maxAhead()));
        // Ready means this gateway can answer: not "the cluster is safe", which is false on every
        // gateway at once while partitions migrate (and Hazelcast retries calls through that).
        return new BeaconService(validator, batcher, () -> catalog.isLoaded() && grid.getLifecycleService().isRunning()
                && grid.getCluster().getMembers().stream().anyMatch(m -> !m.isLiteMember()), metrics);
    }

    @Bean(destroyMethod = "close")
    GatewayServer gatewayServer(BeaconService service, AdGridProperties props) {
        AdGridProperties.Gateway g = props.gateway();
        int threads = g.threads() > 0 ? g.threads() : Runtime.getRuntime().availableProcessors();
        GatewayServer.Limits limits = new GatewayServer.Limits(g.maxUrlLength(), Math.toIntExact(g.maxHeaderSize().toBytes()),
                Math.toIntExact(g.maxBodySize().toBytes()), Math.toIntExact(g.maxSaleBodySize().toBytes()));
        return GatewayServer.start(g.host(), g.port(), threads, limits, service);
    }
}
