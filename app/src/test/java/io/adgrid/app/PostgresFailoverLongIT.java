package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 6: PostgreSQL fails over to an asynchronous standby that had not replayed the
 * last write-behind commits (the seeds' Patroni case). Two Debian PostgreSQL 15 servers (primary
 * and a streaming standby made by {@code pg_basebackup -R}); {@code adgrid run} connects through
 * the multi-host URL {@code targetServerType=primary}; retrying clients send impressions all along.
 *
 * <p>To lose commits for certain rather than by a race, the standby is stopped (its walreceiver
 * gone) before an admin flush writes every acknowledged count to the primary alone; the grid then
 * drops those counts. The primary is killed (SIGKILL), the standby started and promoted
 * ({@code pg_ctl promote}): the new primary's watermarks are behind what the member acknowledged.
 * Every acknowledged impression must be counted once on the new primary: live, after a flush and in SQL.
 *
 * <p>Needs root (PostgreSQL runs as the postgres user) and the binaries in /usr/lib/postgresql/15/bin;
 * skipped otherwise. Ports 47101, 47102, 47120, 47121 and 47150 (and up).
 */
class PostgresFailoverLongIT {

    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final String PASSWORD = "failover";
    private static final String TOKEN = "failover-token";
    private static final int PRIMARY_PORT = 47101;
    private static final int STANDBY_PORT = 47102;

    private Path dir;
    private AdGridProcess adgrid;
    private RetryingClients clients;
    private final java.util.Set<Path> running = new java.util.LinkedHashSet<>();

    @AfterEach
    void stop() throws Exception {
        if (clients != null) {
            clients.abandon();
        }
        if (adgrid != null) {
            adgrid.close();
        }
        for (Path data : running) {
            try {
                // The killed primary leaves its postmaster.pid: pg_ctl then says no server runs, which is fine.
                asPostgres("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
            } catch (IOException e) {
                System.out.println("postgres failover: " + data + " not stopped: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        if (dir != null) {
            run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void acknowledgedCountsSurviveAPromotionOfAStandbyThatLackedTheLastCommits() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("initdb")) && "root".equals(System.getProperty("user.name")),
                "needs root and Debian's PostgreSQL 15 binaries");
        long began = System.nanoTime();
        dir = Files.createTempDirectory("adgrid-pg-failover");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path primary = dir.resolve("primary");
        Path standby = dir.resolve("standby");
        Path sock = dir.resolve("sock");
        Path pw = dir.resolve("pwfile");
        Files.writeString(pw, PASSWORD + "\n");
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", primary.toString());
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755", sock.toString());
        run("chown", "postgres", pw.toString());
        asPostgres("initdb", "-D", primary.toString(), "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust",
                "--pwfile=" + pw, "-E", "UTF8");
        start(primary, PRIMARY_PORT);
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", standby.toString());
        asPostgres("pg_basebackup", "-h", sock.toString(), "-p", Integer.toString(PRIMARY_PORT), "-U", "postgres",
                "-D", standby.toString(), "-R", "-X", "stream");
        start(standby, STANDBY_PORT);
        DatabaseSettings onPrimary = settings("jdbc:postgresql://127.0.0.1:" + PRIMARY_PORT + "/postgres");
        DatabaseSettings onStandby = settings("jdbc:postgresql://127.0.0.1:" + STANDBY_PORT + "/postgres");
        Wait.until("the standby streams from the primary", Duration.ofSeconds(60),
                () -> longQuery(onPrimary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 1);

        // The grid port apart from the others: Hazelcast takes the next free one up when its own is busy.
        int gatewayPort = 47120;
        int reportingPort = 47121;
        adgrid = AdGridProcess.start("run", List.of(
                "--adgrid.db.url=jdbc:postgresql://127.0.0.1:" + PRIMARY_PORT + ",127.0.0.1:" + STANDBY_PORT
                        + "/postgres?targetServerType=primary",
                "--adgrid.db.user=postgres", "--adgrid.db.password=" + PASSWORD,
                "--adgrid.grid.cluster-name=pg-failover-" + UUID.randomUUID(),
                "--adgrid.grid.port=47150", "--adgrid.members=127.0.0.1:47150",
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + reportingPort,
                "--adgrid.var-dir=" + dir.resolve("var"),
                "--adgrid.demo=true", "--adgrid.admin.token=" + TOKEN));
        System.out.println("postgres failover: adgrid log " + adgrid.logFile());
        String gateway = "http://127.0.0.1:" + gatewayPort;
        String reporting = "http://127.0.0.1:" + reportingPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(180), () -> Probes.status(gateway + "/healthz") == 200);

        clients = new RetryingClients(gateway, 4, "failover-" + UUID.randomUUID());
        Wait.until("200 impressions acknowledged", Duration.ofSeconds(120), () -> clients.sent() >= 200);
        // The reporting API may start after the gateway.
        Wait.until("a first flush", Duration.ofSeconds(120), () -> Probes.flush(reporting, TOKEN) == 200);
        String flushedAt = stringQuery(onPrimary, "SELECT pg_current_wal_lsn()::text");
        Wait.until("the standby replayed the first flush", Duration.ofSeconds(60), () -> longQuery(onPrimary,
                "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn >= '" + flushedAt + "'::pg_lsn") == 1);
        long onBothServers = Probes.sqlImpressions(onPrimary);

        // The standby stops receiving: what the primary commits from now on, it never sees.
        asPostgres("pg_ctl", "-D", standby.toString(), "-m", "fast", "-w", "stop");
        long sentAtCut = clients.sent();
        Wait.until("200 more impressions acknowledged", Duration.ofSeconds(120), () -> clients.sent() >= sentAtCut + 200);
        assertThat(Probes.flush(reporting, TOKEN)).as("flush to the primary alone").isEqualTo(200);
        long onPrimaryOnly = Probes.sqlImpressions(onPrimary) - onBothServers;
        long sentAtKill = clients.sent();

        run("kill", "-9", postmasterPid(primary));
        Wait.until("the old primary is gone", Duration.ofSeconds(60), () -> !accepts(PRIMARY_PORT));
        start(standby, STANDBY_PORT);
        asPostgres("pg_ctl", "-D", standby.toString(), "-w", "-t", "120", "promote");
        long promoted = System.nanoTime();
        long onNewPrimaryAtPromotion = Probes.sqlImpressions(onStandby);

        Wait.until("an admin flush reaches the new primary", Duration.ofSeconds(120), () -> Probes.flush(reporting, TOKEN) == 200);
        long sentAtFlushAfter = clients.sent();
        Wait.until("200 more impressions acknowledged after the promotion", Duration.ofSeconds(120),
                () -> clients.sent() >= sentAtFlushAfter + 200);
        clients.stop();

        long sent = clients.sent();
        assertThat(clients.otherAnswers()).as("answers other than 2xx and 503 with Retry-After").isEmpty();
        assertThat(Probes.flush(reporting, TOKEN)).as("final flush").isEqualTo(200);
        long live = Probes.impressions(reporting, "live");
        long db = Probes.impressions(reporting, "db");
        long sql = Probes.sqlImpressions(onStandby);
        System.out.printf("postgres failover: %d impressions acknowledged (%d at the standby's stop, %d at the kill); "
                        + "%d in SQL on both servers before the stop, %d more flushed to the primary alone; the promoted standby "
                        + "held %d when promoted; after the promotion %d counted live, %d after a flush, %d in SQL on the new primary; "
                        + "%d answers 503 with Retry-After, %d without an answer; %d s%n",
                sent, sentAtCut, sentAtKill, onBothServers, onPrimaryOnly, onNewPrimaryAtPromotion, live, db, sql,
                clients.retriedWithRetryAfter(), clients.noAnswer(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began));
        assertThat(onPrimaryOnly).as("counts committed on the primary alone (the standby stopped)").isPositive();
        assertThat(live).as("impressions counted live").isEqualTo(sent);
        assertThat(db).as("impressions in PostgreSQL after a flush (source=db)").isEqualTo(sent);
        assertThat(sql).as("impressions in SQL on the new primary").isEqualTo(sent);
        System.out.printf("postgres failover: promotion to exact totals %d s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - promoted));
    }

    private void start(Path data, int port) throws Exception {
        asPostgres("pg_ctl", "-D", data.toString(), "-l", data.resolve("server.log").toString(), "-o",
                "-p " + port + " -k " + dir.resolve("sock") + " -c listen_addresses=127.0.0.1", "-w", "-t", "120", "start");
        running.add(data);
    }

    private static DatabaseSettings settings(String url) {
        return new DatabaseSettings(url, "postgres", PASSWORD);
    }

    private static long longQuery(DatabaseSettings db, String sql) {
        String v = stringQuery(db, sql);
        return v == null ? -1 : Long.parseLong(v);
    }

    private static String stringQuery(DatabaseSettings db, String sql) {
        try (HikariDataSource ds = Database.pool(db, "failover-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String postmasterPid(Path data) throws IOException {
        return Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim();
    }

    private static void asPostgres(String tool, String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--", BIN.resolve(tool).toString()));
        c.addAll(List.of(args));
        run(c.toArray(String[]::new));
    }

    private static void run(String... command) throws Exception {
        Path out = Files.createTempFile("pg-failover-cmd", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no exit in 180 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + ": exit " + p.exitValue() + "\n" + Files.readString(out));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
