package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.grid.testing.TestPorts;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 27, its three-step sequence against real processes on one journal root: a start that fails
 * midway leaves nothing to wait for; a process of another database refuses the root (naming
 * {@code ADGRID_JOURNAL_DIR}) and deletes nothing; a directory that is genuinely gone gives a clear
 * DOWN reason, and {@code adgrid journal give-up} brings the service back, exact for what PostgreSQL held.
 */
class JournalLifecycleIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final List<AdGridProcess> processes = new ArrayList<>();
    private final List<EmbeddedDatabase> databases = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (AdGridProcess p : processes) {
            p.close();
        }
        databases.forEach(EmbeddedDatabase::close);
    }

    @Test
    void aFailedStartAnotherDatabaseAndALostJournalNeverLeaveTheServiceDownWithoutAWayOut() throws Exception {
        EmbeddedDatabase mine = EmbeddedDatabase.startTemporary();
        databases.add(mine);
        Path var = TestDirs.temporary("adgrid-lifecycle");
        Path root = var.resolve("journal");
        int gatewayPort = AdGridProcess.freePort();
        String gateway = "http://127.0.0.1:" + gatewayPort;

        // 1. A start that fails midway (its gateway port is taken) after the grid and journal started.
        try (ServerSocket taken = new ServerSocket(gatewayPort)) {
            AdGridProcess failing = start(mine.settings(), var, gatewayPort);
            assertThat(failing.waitForExit(300)).as("the start fails (port taken) and the process exits").isTrue();
            assertThat(failing.exitValue()).isNotZero();
        }
        assertThat(sqlLong(mine.settings(), "SELECT count(*) FROM journal_directory")).as("a failed start registers nothing").isZero();
        assertThat(journalDirectories(root)).as("and leaves no directory").isEmpty();

        // 2. Another database on the same journal root: refused, naming the setting; nothing deleted.
        EmbeddedDatabase other = EmbeddedDatabase.startTemporary();
        databases.add(other);
        AdGridProcess counting = start(mine.settings(), var, gatewayPort);
        awaitStatus(gateway, 200, counting);
        long ts = System.currentTimeMillis();
        for (int i = 0; i < 50; i++) {
            assertThat(send(gateway + "/i?" + Beacons.beacon(1 + i, 1 + i % 5, ts, "lifecycle-" + i))).isEqualTo(200);
        }
        Wait.until("the 50 impressions written behind", Duration.ofSeconds(120),
                () -> sqlLong(mine.settings(), "SELECT coalesce(sum(impressions), 0) FROM counter_minute") == 50);
        counting.kill();
        List<Path> left = journalDirectories(root);
        assertThat(left).as("the killed process's journal").hasSize(1);

        AdGridProcess intruder = start(other.settings(), var, gatewayPort);
        assertThat(intruder.waitForExit(300)).as("another database's process refuses the root").isTrue();
        assertThat(intruder.log()).contains("belongs to another database").contains("ADGRID_JOURNAL_DIR");
        assertThat(journalDirectories(root)).as("it deleted nothing").containsExactlyElementsOf(left);

        // 3. The journal is lost for good (its disk): the restart says so, and giving it up brings the service back.
        String lostId = left.get(0).getFileName().toString();
        MemberJournal.deleteDirectory(left.get(0));
        AdGridProcess restarted = start(mine.settings(), var, gatewayPort);
        Wait.until("/healthz says DOWN and why", Duration.ofSeconds(300), () -> {
            restarted.assertRunning();
            String body = healthz(gateway);
            return body.contains(lostId) && body.contains("files MISSING");
        });
        assertThat(send(gateway + "/i?" + Beacons.beacon(900, 1, ts, "while-stuck"))).as("nothing counted meanwhile").isEqualTo(503);

        AdGridProcess giveUp = AdGridProcess.start("journal", List.of("give-up", lostId, "--yes",
                "--adgrid.db.url=" + mine.settings().url()));
        processes.add(giveUp);
        assertThat(giveUp.waitForExit(120)).isTrue();
        assertThat(giveUp.log()).contains("Giving it up loses").contains("given up");
        assertThat(giveUp.exitValue()).isZero();
        assertThat(sqlLong(mine.settings(), "SELECT count(*) FROM journal_given_up WHERE id = '" + lostId + "'")).isEqualTo(1);

        awaitStatus(gateway, 200, restarted);
        assertThat(send(gateway + "/i?" + Beacons.beacon(901, 1, ts, "after-give-up"))).isEqualTo(200);
        assertThat(restarted.terminate(120)).isTrue();
        assertThat(sqlLong(mine.settings(), "SELECT coalesce(sum(impressions), 0) FROM counter_minute"))
                .as("the 50 PostgreSQL held, and the one after: exact").isEqualTo(51);
    }

    private AdGridProcess start(DatabaseSettings db, Path var, int gatewayPort) throws Exception {
        AdGridProcess p = AdGridProcess.start("run", List.of("--adgrid.db.url=" + db.url(),
                "--adgrid.grid.cluster-name=lifecycle-" + UUID.randomUUID(), "--adgrid.grid.port=" + TestPorts.of(7780),
                "--adgrid.members=" + TestPorts.members(7780, 1), "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + AdGridProcess.freePort(),
                "--adgrid.var-dir=" + var, "--adgrid.demo=true"));
        processes.add(p);
        return p;
    }

    private static void awaitStatus(String gateway, int status, AdGridProcess p) {
        Wait.until("/healthz " + status, Duration.ofSeconds(300), () -> p.assertRunning() && Probes.status(gateway + "/healthz") == status);
    }

    /** Sends a beacon until it is not answered 503 overloaded (a busy box at start): recovering 503s are returned. */
    private static int send(String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            HttpResponse<String> r = HTTP.send(Beacons.request(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 503 || !r.body().contains("overloaded") || System.nanoTime() > deadline) {
                return r.statusCode();
            }
            Thread.sleep(500);
        }
    }

    private static String healthz(String gateway) {
        try {
            return HTTP.send(Beacons.request(URI.create(gateway + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    private static List<Path> journalDirectories(Path root) throws Exception {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(root)) {
            return list.filter(Files::isDirectory).sorted().toList();
        }
    }

    private static long sqlLong(DatabaseSettings db, String sql) {
        try (HikariDataSource ds = Database.pool(db, "test-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
