package io.adgrid.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import com.zaxxer.hikari.HikariDataSource;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;

/**
 * A private PostgreSQL server from Debian's binaries (shared/STACK.md), run as the postgres user,
 * that the runner can stop (fast or immediate, as a crash) and start again on the same data.
 *
 * <p>With a standby ({@link #withStandby}), a second server streams from it ({@code pg_basebackup -R},
 * asynchronous, as Patroni or repmgr run it; the app's {@code PostgresFailoverLongIT} does the same),
 * AdGrid is given the multi-host URL that only takes the primary ({@code targetServerType=primary},
 * docs/OPERATIONS.md), and {@link #promote} stops the primary for good and promotes the standby:
 * from then on {@link #start}, {@link #stop} and {@link #primarySettings} act on the promoted one.
 * Both listen on 127.0.0.1 and, when members run in network namespaces, on the bridge's address.
 */
final class Postgres {

    static final Path BIN = Path.of(System.getenv().getOrDefault("ADGRID_FAULTS_PGBIN", "/usr/lib/postgresql/15/bin"));
    static final String PASSWORD = "faults";

    private final Path dir;
    private final Path socket;
    /** The address AdGrid reaches the servers on: 127.0.0.1, or the bridge's when members run in namespaces. */
    private final String host;
    private final List<String> listen;
    /** The port of the server that is primary now; the standby's, once promoted. */
    volatile int port;
    private volatile Path data;
    /** 0 without a standby, and again once it has been promoted. */
    private volatile int standbyPort;
    private final int firstPort;
    private final int secondPort;
    private final Set<Path> started = new LinkedHashSet<>();
    private volatile boolean running;
    private volatile boolean promoted;

    Postgres(Path dir, int port, String host, int standbyPort) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.socket = dir.resolve("sock");
        this.port = port;
        this.firstPort = port;
        this.host = host;
        this.standbyPort = standbyPort;
        this.secondPort = standbyPort;
        this.listen = host.equals("127.0.0.1") ? List.of(host) : List.of("127.0.0.1", host);
    }

    Postgres(Path dir, int port) {
        this(dir, port, "127.0.0.1", 0);
    }

    static boolean available() {
        return Files.isExecutable(BIN.resolve("initdb"));
    }

    boolean withStandby() {
        return secondPort != 0;
    }

    void init() throws IOException, InterruptedException {
        Path pw = dir.resolve("pwfile");
        Files.writeString(pw, PASSWORD + "\n");
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", data.toString());
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755", socket.toString());
        run("chown", "postgres", pw.toString());
        asPostgres("initdb", "-D", data.toString(), "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust",
                "--pwfile=" + pw, "-E", "UTF8");
        if (!host.equals("127.0.0.1")) {
            // The members' namespaces reach the host on the bridge's subnet (pg_basebackup copies this to the standby).
            String subnet = host.substring(0, host.lastIndexOf('.')) + ".0/24";
            Files.writeString(data.resolve("pg_hba.conf"), "host all all " + subnet + " scram-sha-256\n", StandardOpenOption.APPEND);
        }
        start();
        if (withStandby()) {
            Path standby = standbyData();
            run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", standby.toString());
            asPostgres("pg_basebackup", "-h", socket.toString(), "-p", Integer.toString(port), "-U", "postgres",
                    "-D", standby.toString(), "-R", "-X", "stream");
            startServer(standby, standbyPort);
            Cluster.await("the standby streams from the primary", Duration.ofSeconds(120),
                    () -> "1".equals(query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")));
        }
    }

    private Path standbyData() {
        return dir.resolve("standby");
    }

    /** Starts the primary (after a promotion, the promoted one: the old primary stays stopped for good). */
    void start() throws IOException, InterruptedException {
        startServer(data, port);
        running = true;
    }

    private void startServer(Path dataDir, int serverPort) throws IOException, InterruptedException {
        asPostgres("pg_ctl", "-D", dataDir.toString(), "-l", dataDir.resolve("server.log").toString(), "-o",
                "-p " + serverPort + " -k " + socket + " -c listen_addresses=" + String.join(",", listen) + " -c fsync=on",
                "-w", "-t", "120", "start");
        synchronized (started) {
            started.add(dataDir);
        }
    }

    /** {@code immediate} is a crash (no checkpoint, recovery at the next start); otherwise a fast shutdown. */
    void stop(boolean immediate) throws IOException, InterruptedException {
        asPostgres("pg_ctl", "-D", data.toString(), "-m", immediate ? "immediate" : "fast", "-w", "-t", "120", "stop");
        running = false;
    }

    /**
     * A failover: the primary stops for good ({@code crash}: immediate, so the standby may lack its
     * last commits, as in issue 17.6; else fast, which sends the standby everything), {@code gap}
     * seconds pass as a failover manager's detection would, and the standby is promoted.
     */
    void promote(boolean crash, int gapSeconds) throws IOException, InterruptedException {
        if (!withStandby() || promoted) {
            throw new IllegalStateException("no standby to promote");
        }
        if (running) {
            stop(crash);
        }
        TimeUnit.SECONDS.sleep(gapSeconds);
        asPostgres("pg_ctl", "-D", standbyData().toString(), "-w", "-t", "120", "promote");
        data = standbyData();
        port = standbyPort;
        standbyPort = 0;
        promoted = true;
        running = true;
    }

    boolean promoted() {
        return promoted;
    }

    boolean running() {
        return running;
    }

    /** What AdGrid is given: with a standby, both servers, of which the driver takes the primary. */
    DatabaseSettings settings(String database) {
        String url = withStandby()
                ? "jdbc:postgresql://" + host + ":" + firstPort + "," + host + ":" + secondPort + "/" + database + "?targetServerType=primary"
                : "jdbc:postgresql://" + host + ":" + port + "/" + database;
        return new DatabaseSettings(url, "postgres", PASSWORD);
    }

    /** The server the runner knows is primary now (the checker reads its totals there). */
    DatabaseSettings primarySettings(String database) {
        return new DatabaseSettings("jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres", PASSWORD);
    }

    void createDatabase(String name) throws IOException, InterruptedException {
        asPostgres("psql", "-h", socket.toString(), "-p", Integer.toString(port), "-U", "postgres", "-c", "CREATE DATABASE " + name);
    }

    /** The first column of the first row on the primary, or null when the query fails. */
    String query(String sql) {
        try (HikariDataSource ds = Database.pool(primarySettings("postgres"), "faults-pg", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Stops every server this run started (immediate: the run is over); one already stopped is no error. */
    void stopAll() {
        List<Path> all;
        synchronized (started) {
            all = new ArrayList<>(started);
        }
        for (Path d : all) {
            try {
                asPostgres("pg_ctl", "-D", d.toString(), "-m", "immediate", "-w", "-t", "60", "stop");
            } catch (Exception e) {
                // not running
            }
        }
        running = false;
    }

    private void asPostgres(String tool, String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--", BIN.resolve(tool).toString()));
        c.addAll(List.of(args));
        run(c.toArray(String[]::new));
    }

    static void run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("faults-cmd", ".log");
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
