package io.adgrid.app.config;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.schema.ReportingRole;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the reporting API reads (stats, top lists, the campaign list, the dashboard): a pool of the
 * read role, which cannot read the signing secrets (issue 20), or the main pool when there is none.
 * The admin endpoints (flush, rollup, catalog) write, and keep the main pool.
 *
 * @param dataSource what reports read
 * @param own        the read role's pool, closed with this; null when reports use the main pool
 */
public record ReportingReads(DataSource dataSource, HikariDataSource own) implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReportingReads.class);

    /**
     * The read role of {@code ADGRID_DB_REPORTINGUSER} when set (a failed test connection stops the
     * start: a wrong setting must be seen); else, on the embedded server, its {@code adgrid_reporting}
     * (the main pool, with a warning, when it does not answer: a {@code run} of an older version made
     * the server); else the main pool.
     */
    static ReportingReads resolve(DatabaseConfiguration.ResolvedDatabase database, AdAccessSettings settings, HikariDataSource main) {
        if (settings.reportingUser() != null && !settings.reportingUser().isBlank()) {
            HikariDataSource pool = Database.pool(new DatabaseSettings(database.settings().url(), settings.reportingUser(),
                    settings.reportingPassword()), "adgrid-reporting", 4);
            try {
                check(pool);
            } catch (SQLException e) {
                pool.close();
                throw new IllegalStateException("cannot read as ADGRID_DB_REPORTINGUSER " + settings.reportingUser() + ": " + e.getMessage()
                        + " (docs/SECURITY.md, 'The reporting read role')", e);
            }
            log.info("reports read as {}", settings.reportingUser());
            return new ReportingReads(pool, pool);
        }
        if (!settings.embedded()) {
            log.info("reports read as {} (set ADGRID_DB_REPORTINGUSER to a read role that cannot read the signing secrets)",
                    database.settings().user());
            return new ReportingReads(main, null);
        }
        HikariDataSource pool = null;
        try {
            pool = Database.pool(EmbeddedDatabase.reportingSettings(database.settings(), settings.varDir()), "adgrid-reporting", 4);
            check(pool);
            log.info("reports read as {}", ReportingRole.NAME);
            return new ReportingReads(pool, pool);
        } catch (IOException | SQLException e) {
            if (pool != null) {
                pool.close();
            }
            log.warn("reports read as {}: the embedded server's read role {} does not answer ({}); restart './adgrid run' to make it",
                    database.settings().user(), ReportingRole.NAME, e.getMessage());
            return new ReportingReads(main, null);
        }
    }

    /** What {@link #resolve} needs of the settings. */
    record AdAccessSettings(String reportingUser, String reportingPassword, boolean embedded, java.nio.file.Path varDir) {
    }

    private static void check(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT 1 FROM rollup_state LIMIT 1");
        }
    }

    @Override
    public void close() {
        if (own != null) {
            own.close();
        }
    }
}
