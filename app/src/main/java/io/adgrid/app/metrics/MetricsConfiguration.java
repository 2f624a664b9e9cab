package io.adgrid.app.metrics;

import java.time.Clock;
import java.time.Duration;
import io.adgrid.app.config.OpsProperties;
import io.adgrid.app.config.ReportingReads;
import io.adgrid.app.config.Role;
import io.adgrid.reporting.campaigns.CampaignsController;
import io.adgrid.reporting.ops.LocalHistory;
import io.adgrid.reporting.ops.OpsController;
import io.adgrid.reporting.ops.OpsOverview;
import io.adgrid.reporting.stats.StatsService;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.boot.actuate.health.HealthComponent;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnNotWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Metrics and the ops dashboard, in every process: grid gauges and the registry published to the
 * grid everywhere; the cluster overview, the dashboard's and report page's APIs where the
 * reporting port is; {@code /actuator/prometheus} on a metrics port where it is not.
 * (Loaded for every role by {@code AdGrid.start}.)
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(OpsProperties.class)
public class MetricsConfiguration {

    @Bean
    GridMeters gridMeters(HazelcastInstance grid, Role role) {
        return new GridMeters(grid, role);
    }

    /** Per-second chart points of this process from its start, so the dashboard has history when first opened. */
    @Bean(destroyMethod = "close")
    LocalHistory localHistory(HazelcastInstance grid, Clock clock) {
        return new LocalHistory(grid, clock, LocalHistory.DEFAULT_SIZE).start(Duration.ofSeconds(1));
    }

    /** The reporting process: the dashboard at / reads the whole cluster through this. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @Import(OpsController.class)
    static class Dashboard {

        @Bean(destroyMethod = "close")
        OpsOverview opsOverview(HazelcastInstance grid, StatsService stats, ReportingReads reads, Clock clock, OpsProperties props) {
            return new OpsOverview(grid, stats, reads.dataSource(), clock, OpsOverview.Settings.defaults(props.lagAlarm()));
        }

        @Bean
        CampaignsController campaignsController(ReportingReads reads) {
            return new CampaignsController(reads.dataSource());
        }
    }

    /** Processes without the reporting port still answer Prometheus, on their own metrics port. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnNotWebApplication
    static class ScrapePort {

        @Bean(destroyMethod = "close")
        MetricsHttpServer metricsHttpServer(PrometheusMeterRegistry registry, OpsProperties props, HealthEndpoint health,
                                            ObjectMapper json) {
            return MetricsHttpServer.start(props.metricsHost(), props.metricsPort(), registry, group -> {
                HealthComponent h = group == null ? health.health() : group.isEmpty() ? null : health.healthForPath(group);
                if (h == null) {
                    return null;
                }
                boolean down = h.getStatus().equals(Status.DOWN) || h.getStatus().equals(Status.OUT_OF_SERVICE);
                try {
                    return new MetricsHttpServer.HealthAnswer(down ? 503 : 200, json.writeValueAsString(h));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }
}
