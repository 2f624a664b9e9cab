package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT section 1 on a real process: {@code adgrid run} started from the executable jar, sent
 * beacons, then stopped with SIGTERM. Everything it answered 2xx for must be in PostgreSQL when
 * the process has exited, although the write-behind interval is far longer than the test.
 */
class GracefulShutdownIT {

    private EmbeddedDatabase database;
    private AdGridProcess adgrid;

    @AfterEach
    void stop() throws InterruptedException {
        if (adgrid != null) {
            adgrid.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void sigtermWritesEveryAcceptedEventToPostgreSqlBeforeExit() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        int gatewayPort = AdGridProcess.freePort();
        adgrid = AdGridProcess.start("run", List.of(
                "--adgrid.db.url=" + database.settings().url(),
                "--adgrid.grid.cluster-name=sigterm-" + UUID.randomUUID(),
                "--adgrid.grid.port=5880", "--adgrid.members=127.0.0.1:5880",
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + AdGridProcess.freePort(),
                "--adgrid.var-dir=" + Files.createTempDirectory("adgrid-sigterm"),
                "--adgrid.demo=true",
                // Far longer than the test: only the shutdown itself can write the counts.
                "--adgrid.write-behind.interval=1h"));

        HttpClient http = HttpClient.newHttpClient();
        String gateway = "http://127.0.0.1:" + gatewayPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(90), () -> answers(http, gateway + "/healthz") == 200);

        long now = System.currentTimeMillis();
        int accepted = 0;
        for (int i = 0; i < 300; i++) {
            if (answers(http, gateway + "/i?" + Beacons.beacon(1 + i % 50, 1 + i % 5, now, "sigterm-" + i)) == 200) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(300);
        assertThat(sqlImpressions()).as("nothing written yet: the write-behind waits an hour").isZero();

        assertThat(adgrid.terminate(60)).as("exited within 60 s of SIGTERM").isTrue();
        assertThat(adgrid.log()).contains("flushed");
        assertThat(sqlImpressions()).isEqualTo(accepted);
    }

    private long sqlImpressions() throws Exception {
        try (HikariDataSource ds = Database.pool(database.settings(), "sigterm-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(impressions), 0) FROM counter_minute")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int answers(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
