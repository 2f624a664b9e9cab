package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
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

        String gateway = "http://127.0.0.1:" + gatewayPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(90), () -> Probes.status(gateway + "/healthz") == 200);

        long now = System.currentTimeMillis();
        int accepted = 0;
        for (int i = 0; i < 300; i++) {
            if (Probes.status(gateway + "/i?" + Beacons.beacon(1 + i % 50, 1 + i % 5, now, "sigterm-" + i)) == 200) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(300);
        assertThat(Probes.sqlImpressions(database.settings())).as("nothing written yet: the write-behind waits an hour").isZero();

        assertThat(adgrid.terminate(60)).as("exited within 60 s of SIGTERM").isTrue();
        assertThat(adgrid.log()).contains("flushed");
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(accepted);
    }
}
