package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.app.config.Role;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.grid.testing.TestPorts;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 20: a report is read by a role that cannot read the signing secrets. {@code run} on its
 * embedded PostgreSQL (no ADGRID_DB_URL, as a fresh machine runs it) answers the stats and the
 * campaign list through PostgreSQL sessions whose user may not read {@code campaign_secret}.
 */
class ReportingReadRoleIT {

    private static final int GRID_PORT = TestPorts.of(9330);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private ConfigurableApplicationContext app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void runOnItsEmbeddedDatabaseReadsReportsAsARoleThatCannotReadSecrets() throws Exception {
        Path var = TestDirs.temporary("adgrid-read-role");
        app = AdGrid.start(Role.RUN, "--adgrid.grid.cluster-name=read-role-" + UUID.randomUUID(), "--adgrid.grid.port=" + GRID_PORT,
                "--adgrid.members=127.0.0.1:" + GRID_PORT, "--adgrid.gateway.port=0", "--server.port=0", "--adgrid.var-dir=" + var,
                "--adgrid.demo=true");
        String reporting = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");

        // Distinct queries, so each report runs new SQL on the sessions the API reads with.
        for (String granularity : List.of("minute", "hour", "day", "total")) {
            assertThat(get(reporting + "/api/v1/stats?granularity=" + granularity + "&tz=Europe/Paris&source=db").statusCode()).isEqualTo(200);
        }
        HttpResponse<String> campaigns = get(reporting + "/api/v1/campaigns");
        assertThat(campaigns.statusCode()).isEqualTo(200);
        assertThat(campaigns.body()).contains("\"id\":10");

        DatabaseSettings superuser = EmbeddedDatabase.running(var);
        try (HikariDataSource admin = Database.pool(superuser, "read-role-it", 1);
             Connection c = admin.getConnection(); Statement st = c.createStatement()) {
            // The reports' pool, by the name its sessions carry. (Which session ran a report last is no
            // evidence: the pacing monitor reads on the same pool every 200 ms, and on a busy box its
            // queries replaced the reports' as every session's last one.)
            List<String> readers = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'adgrid-reporting'")) {
                while (rs.next()) {
                    readers.add(rs.getString(1));
                }
            }
            assertThat(readers).as("users of the reporting pool's sessions").isNotEmpty();
            try (ResultSet rs = st.executeQuery("SELECT DISTINCT application_name FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                    + " AND (query LIKE 'SELECT % AS g, sum(impressions)%' OR query LIKE 'SELECT id, name, currency FROM campaign%')")) {
                while (rs.next()) {
                    assertThat(rs.getString(1)).as("the pool of a session whose last query was a report").isEqualTo("adgrid-reporting");
                }
            }
            for (String user : readers) {
                try (ResultSet rs = st.executeQuery("SELECT has_table_privilege('" + user + "', 'campaign_secret', 'SELECT')")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).as("%s may read campaign_secret", user).isFalse();
                }
            }
            System.out.println("reporting read role: reports were read as " + readers);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(var.resolve(EmbeddedDatabase.REPORTING_PASSWORD_FILE))))
                .isEqualTo("rw-------");
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(Beacons.request(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
