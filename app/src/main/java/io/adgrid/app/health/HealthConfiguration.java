package io.adgrid.app.health;

import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health checks every role has, one {@code HealthIndicator} per concern; a role's own concerns
 * ({@code catalog}, {@code gridQuorum}) are declared beside the beans they watch, and
 * {@code Role.readiness} says which make up each role's readiness. Liveness stays Spring's
 * process-only {@code livenessState}. A new concern is a new indicator bean plus its name there.
 */
@Configuration(proxyBeanMethods = false)
public class HealthConfiguration {

    /** The property Spring Boot reads the readiness group from; set per role by {@code AdGrid.start}. */
    public static final String READINESS_GROUP = "management.endpoint.health.group.readiness.include";

    @Bean
    DatabaseHealth databaseHealthIndicator(HikariDataSource dataSource) {
        return new DatabaseHealth(dataSource);
    }

    @Bean
    RecoveryHealth recoveryHealthIndicator(HazelcastInstance grid) {
        return new RecoveryHealth(grid);
    }
}
