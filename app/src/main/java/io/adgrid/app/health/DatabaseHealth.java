package io.adgrid.app.health;

import java.sql.Connection;
import javax.sql.DataSource;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** PostgreSQL as this process reaches it: a connection from the pool that answers within two seconds. */
public final class DatabaseHealth implements HealthIndicator {

    private final DataSource dataSource;

    public DatabaseHealth(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Health health() {
        try (Connection c = dataSource.getConnection()) {
            if (c.isValid(2)) {
                return Health.up().withDetail("database", c.getMetaData().getDatabaseProductName()).build();
            }
            return Health.down().withDetail("reason", "PostgreSQL did not answer within 2 s").build();
        } catch (Exception e) {
            return Health.down().withDetail("reason", "PostgreSQL is not reachable: " + e.getMessage()).build();
        }
    }
}
