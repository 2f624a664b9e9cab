package io.adgrid.persister.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Two Debian PostgreSQL 15 servers in a temporary directory: a primary and an asynchronous standby
 * streaming from it ({@code pg_basebackup -R}), as Patroni or repmgr run them (issue 17.6). The
 * servers run as the postgres user, so this needs root; {@link #available()} says whether it can run.
 */
public final class StreamingPostgresPair implements AutoCloseable {

    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Path dir;
    private final String password;
    private final int primaryPort;
    private final int standbyPort;
    private final Set<Path> started = new LinkedHashSet<>();

    private StreamingPostgresPair(Path dir, String password, int primaryPort, int standbyPort) {
        this.dir = dir;
        this.password = password;
        this.primaryPort = primaryPort;
        this.standbyPort = standbyPort;
    }

    /** Root and Debian's PostgreSQL 15 binaries, which a test without them skips for. */
    public static boolean available() {
        return Files.isExecutable(BIN.resolve("initdb")) && "root".equals(System.getProperty("user.name"));
    }

    /** Starts the primary, then the standby, and returns once the standby streams. */
    public static StreamingPostgresPair start(String password, int primaryPort, int standbyPort) throws Exception {
        Path dir = Files.createTempDirectory("adgrid-pg-pair");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        StreamingPostgresPair pair = new StreamingPostgresPair(dir, password, primaryPort, standbyPort);
        try {
            pair.create();
            return pair;
        } catch (Exception e) {
            pair.close();
            throw e;
        }
    }

    private void create() throws Exception {
        Path pw = dir.resolve("pwfile");
        Files.writeString(pw, password + "\n");
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", primaryData().toString());
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755", socketDir().toString());
        run("chown", "postgres", pw.toString());
        asPostgres("initdb", "-D", primaryData().toString(), "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust",
                "--pwfile=" + pw, "-E", "UTF8");
        startServer(primaryData(), primaryPort);
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", standbyData().toString());
        asPostgres("pg_basebackup", "-h", socketDir().toString(), "-p", Integer.toString(primaryPort), "-U", "postgres",
                "-D", standbyData().toString(), "-R", "-X", "stream");
        startStandby();
        Wait.until("the standby streams from the primary", Duration.ofSeconds(60),
                () -> "1".equals(query(primary(), "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")));
    }

    public DatabaseSettings primary() {
        return settings("jdbc:postgresql://127.0.0.1:" + primaryPort + "/postgres");
    }

    public DatabaseSettings standby() {
        return settings("jdbc:postgresql://127.0.0.1:" + standbyPort + "/postgres");
    }

    /** The URL a client of the pair uses: both hosts, whichever is primary. */
    public String multiHostUrl() {
        return "jdbc:postgresql://127.0.0.1:" + primaryPort + ",127.0.0.1:" + standbyPort + "/postgres?targetServerType=primary";
    }

    public String password() {
        return password;
    }

    /** A directory beside the servers', removed with them. */
    public Path dir() {
        return dir;
    }

    public void startStandby() throws Exception {
        startServer(standbyData(), standbyPort);
    }

    /** Stops the standby (fast shutdown): what the primary commits from then on, it never receives. */
    public void stopStandby() throws Exception {
        asPostgres("pg_ctl", "-D", standbyData().toString(), "-m", "fast", "-w", "stop");
    }

    /** SIGKILL to the primary's postmaster, as a crashed host. */
    public void killPrimary() throws Exception {
        run("kill", "-9", Files.readAllLines(primaryData().resolve("postmaster.pid")).get(0).trim());
    }

    public void promoteStandby() throws Exception {
        asPostgres("pg_ctl", "-D", standbyData().toString(), "-w", "-t", "120", "promote");
    }

    /** The first column of the first row, or null when the query fails (a server down, say). */
    public static String query(DatabaseSettings db, String sql) {
        try (HikariDataSource ds = Database.pool(db, "pair-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        for (Path data : started) {
            try {
                // A killed server leaves its postmaster.pid: pg_ctl then says no server runs, which is fine.
                asPostgres("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
            } catch (IOException e) {
                // already stopped
            }
        }
        run("rm", "-rf", dir.toString());
    }

    private Path primaryData() {
        return dir.resolve("primary");
    }

    private Path standbyData() {
        return dir.resolve("standby");
    }

    private Path socketDir() {
        return dir.resolve("sock");
    }

    private DatabaseSettings settings(String url) {
        return new DatabaseSettings(url, "postgres", password);
    }

    private void startServer(Path data, int port) throws Exception {
        asPostgres("pg_ctl", "-D", data.toString(), "-l", data.resolve("server.log").toString(), "-o",
                "-p " + port + " -k " + socketDir() + " -c listen_addresses=127.0.0.1", "-w", "-t", "120", "start");
        started.add(data);
    }

    private static void asPostgres(String tool, String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--", BIN.resolve(tool).toString()));
        c.addAll(List.of(args));
        run(c.toArray(String[]::new));
    }

    private static void run(String... command) throws Exception {
        Path out = Files.createTempFile("pg-pair-cmd", ".log");
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
