package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue "Nothing lost, nothing doubled", fault 3 (short variant): PostgreSQL is stopped under load.
 * The gateway keeps answering 2xx from the grid and its cached catalog; when PostgreSQL is back, the
 * write-behind drains what waited, and every accepted event is in PostgreSQL exactly once.
 */
class DatabaseOutageIT {

    private EmbeddedDatabase database;
    private InProcessAdGrid app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void beaconsAreAcceptedWhilePostgreSqlIsDownAndWrittenOnceItIsBack() throws Exception {
        Path data = TestDirs.temporary("adgrid-outage");
        database = EmbeddedDatabase.start(data, 0);
        int port = database.port();
        app = InProcessAdGrid.start(database.settings(), "outage", TestPorts.of(5870));
        String gateway = app.gateway;
        String reporting = app.reporting;
        // Two minutes ago: a closed minute, which the write-behind writes at its next cycle (it holds the open one back).
        long now = System.currentTimeMillis() - 120_000;

        sendImpressions(gateway, now, 0, 1000);
        Wait.until("the first thousand written", Duration.ofSeconds(30), () -> Probes.impressions(reporting, "db") == 1000);

        database.close();
        database = null;
        sendImpressions(gateway, now, 1000, 3000); // all answered 200 with PostgreSQL down
        assertThat(Probes.status(reporting + "/api/v1/stats?source=db")).as("reports need PostgreSQL").isEqualTo(503);

        database = EmbeddedDatabase.start(data, port);
        Wait.until("the backlog written after PostgreSQL is back", Duration.ofSeconds(60),
                () -> Probes.impressions(reporting, "db") == 3000);
        assertThat(Probes.impressions(reporting, "live")).isEqualTo(3000);
    }

    private static void sendImpressions(String gateway, long ts, int from, int to) {
        for (int i = from; i < to; i++) {
            String url = gateway + "/i?" + Beacons.beacon(1 + i % 500, 1 + i % 50, ts, "outage-" + i);
            assertThat(Probes.status(url)).as("impression %d", i).isEqualTo(200);
        }
    }
}
