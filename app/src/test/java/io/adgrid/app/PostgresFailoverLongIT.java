package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.testing.StreamingPostgresPair;
import io.adgrid.grid.testing.TestPorts;
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
 * skipped otherwise. Ports 9101, 9102, 9120, 9121 and 9150 (and up).
 */
class PostgresFailoverLongIT {

    private static final String PASSWORD = "failover";
    private static final String TOKEN = "failover-token";
    private static final int PRIMARY_PORT = TestPorts.of(9101);
    private static final int STANDBY_PORT = TestPorts.of(9102);

    private StreamingPostgresPair servers;
    private AdGridProcess adgrid;
    private RetryingClients clients;

    @AfterEach
    void stop() throws Exception {
        if (clients != null) {
            clients.abandon();
        }
        if (adgrid != null) {
            adgrid.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void acknowledgedCountsSurviveAPromotionOfAStandbyThatLackedTheLastCommits() throws Exception {
        assumeTrue(StreamingPostgresPair.available(), "needs root and Debian's PostgreSQL 15 binaries");
        long began = System.nanoTime();
        servers = StreamingPostgresPair.start(PASSWORD, PRIMARY_PORT, STANDBY_PORT);
        DatabaseSettings onPrimary = servers.primary();
        DatabaseSettings onStandby = servers.standby();

        // The grid port apart from the others: Hazelcast takes the next free one up when its own is busy.
        int gatewayPort = TestPorts.of(9120);
        int reportingPort = TestPorts.of(9121);
        adgrid = AdGridProcess.start("run", List.of(
                "--adgrid.db.url=" + servers.multiHostUrl(),
                "--adgrid.db.user=postgres", "--adgrid.db.password=" + PASSWORD,
                "--adgrid.grid.cluster-name=pg-failover-" + UUID.randomUUID(),
                "--adgrid.grid.port=" + TestPorts.of(9150), "--adgrid.members=" + TestPorts.members(9150, 1),
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + reportingPort,
                "--adgrid.var-dir=" + servers.dir().resolve("var"),
                "--adgrid.demo=true", "--adgrid.admin.token=" + TOKEN));
        System.out.println("postgres failover: adgrid log " + adgrid.logFile());
        String gateway = "http://127.0.0.1:" + gatewayPort;
        String reporting = "http://127.0.0.1:" + reportingPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(180), () -> Probes.status(gateway + "/healthz") == 200);

        clients = new RetryingClients(gateway, 4, "failover-" + UUID.randomUUID());
        Wait.until("200 impressions acknowledged", Duration.ofSeconds(120), () -> clients.sent() >= 200);
        // The reporting API may start after the gateway.
        Wait.until("a first flush", Duration.ofSeconds(120), () -> Probes.flush(reporting, TOKEN) == 200);
        String flushedAt = StreamingPostgresPair.query(onPrimary, "SELECT pg_current_wal_lsn()::text");
        Wait.until("the standby replayed the first flush", Duration.ofSeconds(60), () -> longQuery(onPrimary,
                "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn >= '" + flushedAt + "'::pg_lsn") == 1);
        long onBothServers = Probes.sqlImpressions(onPrimary);

        // The standby stops receiving: what the primary commits from now on, it never sees.
        servers.stopStandby();
        long sentAtCut = clients.sent();
        Wait.until("200 more impressions acknowledged", Duration.ofSeconds(120), () -> clients.sent() >= sentAtCut + 200);
        assertThat(Probes.flush(reporting, TOKEN)).as("flush to the primary alone").isEqualTo(200);
        long onPrimaryOnly = Probes.sqlImpressions(onPrimary) - onBothServers;
        long sentAtKill = clients.sent();

        servers.killPrimary();
        Wait.until("the old primary is gone", Duration.ofSeconds(60), () -> !accepts(PRIMARY_PORT));
        servers.startStandby();
        servers.promoteStandby();
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

    private static long longQuery(DatabaseSettings db, String sql) {
        String v = StreamingPostgresPair.query(db, sql);
        return v == null ? -1 : Long.parseLong(v);
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
