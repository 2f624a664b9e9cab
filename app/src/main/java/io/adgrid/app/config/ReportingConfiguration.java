package io.adgrid.app.config;

import java.time.Clock;
import java.time.Duration;
import io.adgrid.persister.catalog.CampaignBudgets;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.catalog.CatalogAdmin;
import io.adgrid.persister.catalog.SenderKeys;
import io.adgrid.reporting.admin.AdminAuthorization;
import io.adgrid.reporting.admin.AdminController;
import io.adgrid.reporting.admin.AdminToken;
import io.adgrid.reporting.catalog.CatalogAdminController;
import io.adgrid.reporting.senders.SenderKeysController;
import io.adgrid.reporting.pacing.PacingController;
import io.adgrid.reporting.pacing.PacingEvents;
import io.adgrid.reporting.pacing.PacingMonitor;
import io.adgrid.reporting.stats.CampaignDays;
import io.adgrid.reporting.stats.GridCounters;
import io.adgrid.reporting.stats.StatsController;
import io.adgrid.reporting.stats.StatsRepository;
import io.adgrid.reporting.stats.StatsService;
import io.adgrid.reporting.web.ApiErrors;
import io.adgrid.reporting.web.OpenApiDocs;
import io.adgrid.reporting.web.StrictJsonBodies;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The reporting API (8081): stats and top lists merged from PostgreSQL and the grid, and the admin endpoints (flush, catalog). */
@Configuration(proxyBeanMethods = false)
@Import({StatsController.class, AdminController.class, CatalogAdminController.class, SenderKeysController.class, PacingController.class, ApiErrors.class,
        StrictJsonBodies.class, OpenApiDocs.class})
public class ReportingConfiguration {

    @Bean
    StatsService statsService(ReportingReads reads, HazelcastInstance grid) {
        return new StatsService(new StatsRepository(reads.dataSource()), new GridCounters(grid));
    }

    @Bean
    CampaignDays campaignDays(ReportingReads reads, HazelcastInstance grid) {
        return new CampaignDays(reads.dataSource(), new GridCounters(grid));
    }

    /** The pacing stream; a subscriber's stream ends after 30 minutes and its client reconnects with Last-Event-ID. */
    @Bean
    PacingEvents pacingEvents(Clock clock) {
        return new PacingEvents(clock, Duration.ofMinutes(30).toMillis());
    }

    /** Budgeted campaigns' states, recomputed every adgrid.pacing.interval (100-250 ms, default 200 ms). */
    @Bean(initMethod = "start", destroyMethod = "close")
    PacingMonitor pacingMonitor(CampaignDays days, PacingEvents events, Clock clock, AdGridProperties props, MeterRegistry metrics) {
        return new PacingMonitor(days, events, clock, props.pacing().interval(), metrics);
    }

    /**
     * Ends the pacing streams as soon as the process starts to stop, before the web server's graceful
     * stop: that stop waits for open requests, and a stream stays open for 30 minutes (clients
     * reconnect to another process with Last-Event-ID).
     */
    @Bean
    org.springframework.context.ApplicationListener<org.springframework.context.event.ContextClosedEvent> endPacingStreamsOnStop(
            PacingMonitor monitor) {
        return closed -> monitor.close();
    }

    @Bean
    CatalogAdmin catalogAdmin(HikariDataSource dataSource) {
        return new CatalogAdmin(dataSource);
    }

    @Bean
    SenderKeys senderKeys(HikariDataSource dataSource) {
        return new SenderKeys(dataSource);
    }

    @Bean
    CampaignPrices campaignPrices(HikariDataSource dataSource) {
        return new CampaignPrices(dataSource);
    }

    @Bean
    CampaignBudgets campaignBudgets(HikariDataSource dataSource) {
        return new CampaignBudgets(dataSource);
    }

    @Bean
    AdminToken adminToken(AdGridProperties props) {
        return AdminToken.configuredOrStored(props.admin().token(), props.varDir());
    }

    /** Every /api/v1/admin endpoint behind the token, checked before its handler reads anything. */
    @Bean
    AdminAuthorization adminAuthorization(AdminToken token) {
        return new AdminAuthorization(token);
    }
}
