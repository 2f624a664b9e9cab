package io.adgrid.persister.schema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

/** Connection pool and schema of AdGrid's PostgreSQL. */
public final class Database {

    /** Day partitions kept ready ahead of today, so no insert ever finds its day missing. */
    public static final int PARTITION_DAYS_AHEAD = 7;

    private Database() {
    }

    public static HikariDataSource pool(DatabaseSettings settings, String poolName, int maxSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(settings.url());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setPoolName(poolName);
        // Its sessions carry the pool's name in pg_stat_activity.application_name: an operator (and a test) sees which pool is which.
        config.addDataSourceProperty("ApplicationName", poolName);
        config.setMaximumPoolSize(maxSize);
        config.setMinimumIdle(1);
        // Fail fast when the database is down; the write-behind keeps the counts and retries.
        config.setConnectionTimeout(3_000);
        config.setInitializationFailTimeout(-1);
        // PostgreSQL's default, set rather than probed: a probe that met a closing connection left HikariCP's
        // level at -1 and the pool refused every connection for good (HikariCP issue 1944; issue 18, seed 22).
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return new HikariDataSource(config);
    }

    /** Brings the schema up to date (idempotent) and creates the partitions from yesterday to a week ahead. */
    public static void migrate(DataSource dataSource) {
        // A process starting while PostgreSQL is slow or restarting waits for it (about a minute) instead of exiting.
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").connectRetries(10).load().migrate();
        ensurePartitions(dataSource, LocalDate.now(ZoneOffset.UTC).minusDays(1), PARTITION_DAYS_AHEAD + 2);
    }

    public static void ensurePartitions(DataSource dataSource, LocalDate firstDay, int days) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ensure_counter_partitions(?, ?)")) {
            ps.setObject(1, firstDay);
            ps.setInt(2, days);
            ps.execute();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create counter partitions: " + e.getMessage(), e);
        }
    }
}
