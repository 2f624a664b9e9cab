package io.adgrid.app.journal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.DatabaseSettings;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code ./adgrid journal list} and {@code ./adgrid journal give-up ID} (issue 27): what the
 * journals registered in PostgreSQL are, and the operator's way out of a recovery that waits for a
 * journal that will never come back. Giving up asks for confirmation, says what may be lost, and
 * records the decision in {@code journal_given_up}.
 */
public final class JournalCommand {

    static final String USAGE = """
            usage: ./adgrid journal list
                   ./adgrid journal give-up ID [--yes]
              list      the journal directories registered in PostgreSQL: life, host, path, state, whether the files are here
              give-up   stop waiting for journal ID (its disk is lost for good): says what may be lost, asks to confirm
                        (--yes: no question), records the decision in journal_given_up and unregisters it
              database: ADGRID_DB_URL / ADGRID_DB_USER / ADGRID_DB_PASSWORD (or --adgrid.db.url=...), else ./var's own""";

    private JournalCommand() {
    }

    public static int run(List<String> args, BufferedReader in, PrintStream out, PrintStream err) {
        String url = System.getenv("ADGRID_DB_URL");
        String user = System.getenv().getOrDefault("ADGRID_DB_USER", "postgres");
        String password = System.getenv().getOrDefault("ADGRID_DB_PASSWORD", "");
        Path var = Path.of(System.getenv().getOrDefault("ADGRID_VAR_DIR", "./var"));
        boolean yes = false;
        List<String> words = new java.util.ArrayList<>();
        for (String a : args) {
            if (a.equals("--yes")) {
                yes = true;
            } else if (a.startsWith("--adgrid.db.url=")) {
                url = a.substring("--adgrid.db.url=".length());
            } else if (a.startsWith("--adgrid.db.user=")) {
                user = a.substring("--adgrid.db.user=".length());
            } else if (a.startsWith("--adgrid.db.password=")) {
                password = a.substring("--adgrid.db.password=".length());
            } else if (a.startsWith("--adgrid.var-dir=")) {
                var = Path.of(a.substring("--adgrid.var-dir=".length()));
            } else if (a.startsWith("--")) {
                err.println("unknown option '" + a + "'\n" + USAGE);
                return 2;
            } else {
                words.add(a);
            }
        }
        boolean list = words.size() == 1 && words.get(0).equals("list");
        boolean giveUp = words.size() == 2 && words.get(0).equals("give-up");
        if (!list && !giveUp) {
            err.println(USAGE);
            return 2;
        }
        UUID id = null;
        if (giveUp) {
            try {
                id = UUID.fromString(words.get(1));
            } catch (IllegalArgumentException e) {
                err.println("not a journal id: '" + words.get(1) + "' (./adgrid journal list shows them)");
                return 2;
            }
        }
        try {
            if (url != null && !url.isBlank()) {
                return run(new DatabaseSettings(url, user, password), list, id, yes, in, out, err);
            }
            DatabaseSettings running = runningEmbedded(var);
            if (running != null) {
                return run(running, list, id, yes, in, out, err);
            }
            if (!Files.isDirectory(var.resolve("pgdata"))) {
                err.println("no database: set ADGRID_DB_URL, or run this where ./adgrid run keeps its ./var");
                return 1;
            }
            if (EmbeddedDatabase.serverRunning(var)) {
                err.println("journal: the local database in " + var.toAbsolutePath().normalize() + " is running but did not answer;"
                        + " try again, or set ADGRID_DB_URL (and ADGRID_DB_USER, ADGRID_DB_PASSWORD)");
                return 1;
            }
            try (EmbeddedDatabase embedded = EmbeddedDatabase.start(var, 0)) {
                return run(embedded.settings(), list, id, yes, in, out, err);
            }
        } catch (SQLException | IOException e) {
            err.println("journal: " + e.getMessage());
            return 1;
        }
    }

    /** The embedded PostgreSQL of a running {@code ./adgrid run} (with its password from var/), if one answers. */
    private static DatabaseSettings runningEmbedded(Path var) {
        try {
            DatabaseSettings s = EmbeddedDatabase.running(var);
            if (s == null) {
                return null;
            }
            try (Connection ignored = dataSource(s).getConnection()) {
                return s;
            }
        } catch (IOException | NumberFormatException | SQLException e) {
            return null;
        }
    }

    private static PGSimpleDataSource dataSource(DatabaseSettings s) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(s.url());
        ds.setUser(s.user());
        ds.setPassword(s.password());
        return ds;
    }

    /** One registered journal directory, as PostgreSQL and (on its host) the disk know it. */
    private record Row(UUID id, UUID life, String host, String path, Timestamp registeredAt, Timestamp stoppedAt,
                       boolean countsInPostgres, Timestamp neededUntil) {

        String files() {
            if (!host.equals(hostName())) {
                return "on host " + host + " (not checked from here)";
            }
            Path dir = Path.of(path);
            if (!Files.isDirectory(dir)) {
                return "directory MISSING on this host";
            }
            try (Stream<Path> list = Files.list(dir)) {
                List<Path> logs = list.filter(f -> f.getFileName().toString().endsWith(".log")).toList();
                long bytes = 0;
                for (Path f : logs) {
                    bytes += Files.size(f);
                }
                return "directory present, " + logs.size() + " record files, " + bytes + " bytes";
            } catch (IOException e) {
                return "directory present, unreadable: " + e.getMessage();
            }
        }

        String state() {
            if (stoppedAt == null) {
                return "written by a running process, or by one that died";
            }
            return "stopped gracefully at " + stoppedAt.toInstant() + (countsInPostgres ? ", every count in PostgreSQL" : ", some counts not in PostgreSQL then")
                    + ", identities needed until " + (neededUntil == null ? "?" : neededUntil.toInstant());
        }

        String whatMayBeLost() {
            String files = files();
            if (stoppedAt != null && countsInPostgres) {
                return "no count: PostgreSQL holds every count it journaled. Its identities are forgotten: a beacon or order it took, "
                        + "sent again before " + (neededUntil == null ? "its window ends" : neededUntil.toInstant()) + ", would be counted again";
            }
            if (files.contains(" 0 record files")) {
                return "nothing: it holds no record";
            }
            return "the counts only this journal holds that PostgreSQL lacks (with a backup count of 1, every acknowledged count is also "
                    + "in another member's journal, unless that one is lost too), and its identities: a retried beacon or order of its time "
                    + "could be counted again. Its files: " + files
                    + (files.startsWith("directory present") ? ". It is here: start AdGrid on this journal root instead, to replay it" : "");
        }
    }

    private static int run(DatabaseSettings db, boolean list, UUID id, boolean yes, BufferedReader in, PrintStream out, PrintStream err)
            throws SQLException, IOException {
        try (Connection c = dataSource(db).getConnection()) {
            if (list) {
                List<Row> rows = rows(c, null);
                if (rows.isEmpty()) {
                    out.println("no journal directory is registered: nothing to wait for");
                }
                for (Row r : rows) {
                    out.printf("%s  life %s  %s:%s%n    registered %s; %s%n    %s%n", r.id(), r.life(), r.host(), r.path(),
                            r.registeredAt().toInstant(), r.state(), r.files());
                }
                out.println("A directory whose life is not the running grid's is replayed by the next AdGrid process started on its "
                        + "journal root; until then gateways answer 503 recovering (see /healthz).");
                return 0;
            }
            List<Row> rows = rows(c, id);
            if (rows.isEmpty()) {
                err.println("journal " + id + " is not registered (./adgrid journal list shows those that are)");
                return 1;
            }
            Row r = rows.get(0);
            out.printf("journal %s of grid life %s, %s:%s%n  %s%n  %s%n", r.id(), r.life(), r.host(), r.path(), r.state(), r.files());
            String lost = r.whatMayBeLost();
            out.println("Giving it up loses: " + lost);
            if (!yes) {
                out.print("Give it up? Type 'give up' to confirm: ");
                out.flush();
                String answer = in.readLine();
                if (answer == null || !answer.strip().equals("give up")) {
                    out.println("kept: nothing changed");
                    return 1;
                }
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO journal_given_up (id, grid_life, host, path, registered_at, given_up_by, what_was_lost)
                    SELECT id, grid_life, host, path, registered_at, ?, ? FROM journal_directory WHERE id = ?""");
                 PreparedStatement del = c.prepareStatement("DELETE FROM journal_directory WHERE id = ?")) {
                ps.setString(1, System.getProperty("user.name") + "@" + hostName());
                ps.setString(2, lost);
                ps.setObject(3, id);
                ps.executeUpdate();
                del.setObject(1, id);
                del.executeUpdate();
                c.commit();
            }
            out.println("given up (recorded in journal_given_up): the grid stops waiting for it within a second, "
                    + "once no other journal is awaited");
            return 0;
        }
    }

    private static List<Row> rows(Connection c, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT id, grid_life, host, path, registered_at, stopped_at, counts_in_postgres, needed_until FROM journal_directory
                WHERE ?::uuid IS NULL OR id = ? ORDER BY registered_at, id""")) {
            ps.setObject(1, id);
            ps.setObject(2, id);
            List<Row> rows = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4),
                            rs.getTimestamp(5), rs.getTimestamp(6), rs.getBoolean(7), rs.getTimestamp(8)));
                }
            }
            return rows;
        }
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
