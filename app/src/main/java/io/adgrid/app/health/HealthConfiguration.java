package io.adgrid.app.health;

import java.util.List;
import io.adgrid.app.Role;
import io.adgrid.app.config.AdGridProperties;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health checks, one {@code HealthIndicator} per concern, and which of them make up each role's
 * readiness ({@code /actuator/health/readiness}); liveness stays Spring's process-only
 * {@code livenessState}. A new concern is a new indicator bean plus its name in {@link #readiness}.
 */
@Configuration(proxyBeanMethods = false)
public class HealthConfiguration {

    /** The property Spring Boot reads the readiness group from; set per role by {@code AdGrid.start}. */
    public static final String READINESS_GROUP = "management.endpoint.health.group.readiness.include";

    /**
     * What a role needs before it should get traffic. A node's readiness is only "its member runs":
     * its StatefulSet starts pods one by one once the previous one is ready, so waiting there for a
     * quorum (or for a journal only a later pod can replay) would never let the second pod start.
     */
    public static List<String> readiness(Role role) {
        return switch (role) {
            case RUN -> List.of("readinessState", "database", "catalog", "gridQuorum", "recovery");
            case NODE -> List.of("readinessState", "hazelcast");
            case GATEWAY -> List.of("readinessState", "catalog", "gridQuorum", "recovery");
            case REPORTING -> List.of("readinessState", "database", "gridQuorum", "recovery");
        };
    }

    @Bean
    DatabaseHealth databaseHealthIndicator(HikariDataSource dataSource) {
        return new DatabaseHealth(dataSource);
    }

    @Bean
    GridQuorumHealth gridQuorumHealthIndicator(HazelcastInstance grid, AdGridProperties props) {
        return new GridQuorumHealth(grid, props.grid().minMembers());
    }

    @Bean
    RecoveryHealth recoveryHealthIndicator(HazelcastInstance grid) {
        return new RecoveryHealth(grid);
    }
}
