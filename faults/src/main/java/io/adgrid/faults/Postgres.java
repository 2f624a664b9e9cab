package io.adgrid.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.adgrid.persister.schema.DatabaseSettings;

/**
 * A private PostgreSQL server from Debian's binaries (shared/STACK.md), run as the postgres user,
 * that the runner can stop (fast or immediate, as a crash) and start again on the same data.
 */
final class Postgres {

    static final Path BIN = Path.of(System.getenv().getOrDefault("ADGRID_FAULTS_PGBIN", "/usr/lib/postgresql/15/bin"));
    static final String PASSWORD = "faults";

    private final Path data;
    private final Path socket;
    final int port;
    private volatile boolean running;

    Postgres(Path dir, int port) {
        this.data = dir.resolve("data");
        this.socket = dir.resolve("sock");
        this.port = port;
    }

    static boolean available() {
        return Files.isExecutable(BIN.resolve("initdb"));
    }

    void init() throws IOException, InterruptedException {
        Path pw = data.getParent().resolve("pwfile");
        Files.writeString(pw, PASSWORD + "\n");
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", data.toString());
        run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755", socket.toString());
        run("chown", "postgres", pw.toString());
        asPostgres("initdb", "-D", data.toString(), "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust",
                "--pwfile=" + pw, "-E", "UTF8");
        start();
    }

    void start() throws IOException, InterruptedException {
        asPostgres("pg_ctl", "-D", data.toString(), "-l", data.resolve("server.log").toString(), "-o",
                "-p " + port + " -k " + socket + " -c listen_addresses=127.0.0.1 -c fsync=on", "-w", "-t", "120", "start");
        running = true;
    }

    /** {@code immediate} is a crash (no checkpoint, recovery at the next start); otherwise a fast shutdown. */
    void stop(boolean immediate) throws IOException, InterruptedException {
        asPostgres("pg_ctl", "-D", data.toString(), "-m", immediate ? "immediate" : "fast", "-w", "-t", "120", "stop");
        running = false;
    }

    boolean running() {
        return running;
    }

    DatabaseSettings settings(String database) {
        return new DatabaseSettings("jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres", PASSWORD);
    }

    void createDatabase(String name) throws IOException, InterruptedException {
        asPostgres("psql", "-h", socket.toString(), "-p", Integer.toString(port), "-U", "postgres", "-c", "CREATE DATABASE " + name);
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
