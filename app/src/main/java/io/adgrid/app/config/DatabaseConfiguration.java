package io.adgrid.app.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.schema.ReportingRole;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * PostgreSQL: the one in {@code ADGRID_DB_URL}, or else the embedded one. {@code run} starts and
 * owns it; the other roles on the same host find it through {@code var/postgres.port}.
 */
@Configuration(proxyBeanMethods = false)
public class DatabaseConfiguration {

    private static final Logger log = LoggerFactory.getLogger(DatabaseConfiguration.class);

    /** The server to use, and the embedded one this process owns (null when it owns none). */
    public record ResolvedDatabase(DatabaseSettings settings, EmbeddedDatabase owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned != null) {
                owned.close();
            }
        }
    }

    @Bean(destroyMethod = "close")
    ResolvedDatabase resolvedDatabase(AdGridProperties props, Role role) {
        AdGridProperties.Db db = props.db();
        if (db.url() != null && !db.url().isBlank()) {
            return new ResolvedDatabase(new DatabaseSettings(db.url(), db.user(), db.password()), null);
        }
        if (role.ownsEmbeddedDatabase) {
            EmbeddedDatabase embedded = EmbeddedDatabase.start(props.varDir(), db.embeddedPort());
            return new ResolvedDatabase(embedded.settings(), embedded);
        }
        return new ResolvedDatabase(runningEmbedded(props.varDir()), null);
    }

    /** The embedded server a {@code ./adgrid run} on this host started. */
    static DatabaseSettings runningEmbedded(Path varDir) {
        try {
            DatabaseSettings running = EmbeddedDatabase.running(varDir);
            if (running == null) {
                throw new IllegalStateException("no database: set ADGRID_DB_URL (and ADGRID_DB_USER, ADGRID_DB_PASSWORD), "
                        + "or start './adgrid run' on this host first so its PostgreSQL (" + varDir.resolve(EmbeddedDatabase.PORT_FILE)
                        + ") can be shared");
            }
            log.info("using the embedded PostgreSQL of './adgrid run' at {}", running.url());
            return running;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the reporting API reads: the read role's pool when there is one (issue 20). */
    @Bean(destroyMethod = "close")
    ReportingReads reportingReads(ResolvedDatabase database, HikariDataSource dataSource, AdGridProperties props, Role role) {
        if (!role.reporting) {
            return new ReportingReads(dataSource, null);
        }
        AdGridProperties.Db db = props.db();
        boolean embedded = db.url() == null || db.url().isBlank();
        return ReportingReads.resolve(database, new ReportingReads.AdAccessSettings(db.reportingUser(), db.reportingPassword(), embedded,
                props.varDir()), dataSource);
    }

    @Bean(destroyMethod = "close")
    HikariDataSource dataSource(ResolvedDatabase database, AdGridProperties props, Role role) {
        HikariDataSource pool = Database.pool(database.settings(), "adgrid", 8);
        try {
            Database.migrate(pool);
        } catch (RuntimeException e) {
            if (role != Role.GATEWAY) {
                pool.close();
                throw e;
            }
            // A gateway validates from its catalog file and reads changes when the database is back.
            log.warn("PostgreSQL is not reachable at start ({}): the gateway serves the catalog it holds and keeps retrying",
                    e.getMessage());
            return pool;
        }
        if (database.owned() != null) {
            // The embedded server's read role for reports (issue 20), made or brought up to date at each start.
            try {
                ReportingRole.ensure(pool, EmbeddedDatabase.reportingSettings(database.settings(), props.varDir()).password());
            } catch (IOException | java.sql.SQLException e) {
                log.warn("cannot make the reporting read role {}: reports read as {} ({})", ReportingRole.NAME,
                        database.settings().user(), e.getMessage());
            }
        }
        if (props.demo() && DemoCatalog.seedIfEmpty(pool)) {
            log.info("seeded the demo catalog: {} campaigns, {} banners, {} publishers",
                    DemoCatalog.CAMPAIGNS, DemoCatalog.BANNERS, DemoCatalog.PUBLISHERS);
        }
        return pool;
    }
}
