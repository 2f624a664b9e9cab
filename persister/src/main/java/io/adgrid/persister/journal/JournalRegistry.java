package io.adgrid.persister.journal;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL side of the journal protocol: which database this is, the grid lives
 * ({@code grid_life}) and the journal directories registered with them ({@code journal_directory}).
 * Every statement on those two tables that the persister makes is here.
 */
final class JournalRegistry {

    private static final Logger log = LoggerFactory.getLogger(JournalRegistry.class);

    private final DataSource dataSource;

    JournalRegistry(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * A registered directory of another life that a gate still waits for, as read from
     * {@code journal_directory}.
     */
    record AwaitedDirectory(String id, String life, String host, String path, boolean stoppedGracefully, boolean countsInPostgres) {

        /** How the gate and the logs name it: directory, life, host, path, whether the files exist, how its process ended. */
        String describe(String hereHost, boolean directoryExists) {
            String files = !host.equals(hereHost) ? "files not checked: on another host"
                    : directoryExists ? "files present" : "files MISSING";
            String how = stoppedGracefully ? (countsInPostgres ? "stopped gracefully, counts in PostgreSQL: identities only"
                    : "stopped gracefully") : "its process died or was killed";
            return id + " (life " + life + ", " + host + ":" + path + ", " + files + ", " + how + ")";
        }
    }

    /** The database's own id (V10), with its name for the humans reading a refusal: how journal roots and directories name it. */
    String databaseIdentity() {
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, current_database() FROM adgrid_database")) {
            if (!rs.next()) {
                throw new IllegalStateException("table adgrid_database is empty: the schema's migration V10 made its one row");
            }
            return "adgrid database " + rs.getString(1) + " (" + rs.getString(2) + ")";
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read which database this is: " + e.getMessage(), e);
        }
    }

    /** The life that ended {@code gridLife} in PostgreSQL, or null while it lives. */
    String endedBy(UUID gridLife) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ended_by FROM grid_life WHERE id = ? AND ended_at IS NOT NULL")) {
            ps.setObject(1, gridLife);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read grid_life: " + e.getMessage(), e);
        }
    }

    /**
     * Records {@code life} in PostgreSQL and ends every other one there, before anything of theirs
     * is replayed: a member of an older life cut off from the grid may still hold counts this life
     * replays from its journals, and PostgreSQL refuses that member's batches from now on
     * ({@code CounterWriter}, {@code EndedLifeException}). Refuses to join a life already ended.
     */
    void endOtherLives(UUID life) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO grid_life (id) VALUES (?) ON CONFLICT DO NOTHING")) {
                    ps.setObject(1, life);
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT ended_by, ended_at FROM grid_life WHERE id = ? AND ended_at IS NOT NULL")) {
                    ps.setObject(1, life);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            throw new IllegalStateException("grid life " + life + " was ended by grid life " + rs.getString(1) + " at "
                                    + rs.getString(2) + ": this member belongs to a grid cut off from the living one; restart it "
                                    + "where it reaches the living grid");
                        }
                    }
                }
                int ended;
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE grid_life SET ended_at = now(), ended_by = ? WHERE ended_at IS NULL AND id <> ?")) {
                    ps.setObject(1, life);
                    ps.setObject(2, life);
                    ended = ps.executeUpdate();
                }
                c.commit();
                if (ended > 0) {
                    log.info("ended {} earlier grid life(s) in PostgreSQL: a member still in one writes nothing more", ended);
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record grid life " + life + " in PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** Registers a journal directory with its life, on this host; a second registration changes nothing. */
    void register(String id, UUID gridLife, Path directory) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO journal_directory (id, grid_life, host, path) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
            ps.setObject(1, UUID.fromString(id));
            ps.setObject(2, gridLife);
            ps.setString(3, hostName());
            ps.setString(4, directory.toAbsolutePath().toString());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot register the journal in PostgreSQL: " + e.getMessage(), e);
        }
    }

    void unregister(UUID id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM journal_directory WHERE id = ?")) {
            ps.setObject(1, id);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot unregister journal " + id + ": " + e.getMessage(), e);
        }
    }

    void unregister(String id) {
        unregister(UUID.fromString(id));
    }

    /** The life a directory is registered with; empty when it is not registered. */
    Optional<UUID> registeredLife(UUID id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT grid_life FROM journal_directory WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read journal registrations: " + e.getMessage(), e);
        }
    }

    /** The journal directories registered in this grid life whose slices may still be needed. */
    Set<String> registeredIn(String life) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT id FROM journal_directory
                     WHERE grid_life = ? AND NOT (coalesce(counts_in_postgres, false) AND needed_until < now())""")) {
            ps.setObject(1, UUID.fromString(life));
            Set<String> ids = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the journal directories: " + e.getMessage(), e);
        }
    }

    /** The directories of other lives that are still needed: what the gate waits for, oldest first. */
    List<AwaitedDirectory> awaitedBy(UUID life) {
        List<AwaitedDirectory> awaited = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT id, grid_life, host, path, stopped_at IS NOT NULL, counts_in_postgres FROM journal_directory
                     WHERE grid_life <> ? AND NOT (counts_in_postgres AND needed_until < now())
                     ORDER BY registered_at, id""")) {
            ps.setObject(1, life);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    awaited.add(new AwaitedDirectory(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getBoolean(5), rs.getBoolean(6)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the journal directories: " + e.getMessage(), e);
        }
        return awaited;
    }

    /** Describes the directories awaited by {@code life} as seen from this host (whether their files are here). */
    List<String> describeAwaitedBy(UUID life) {
        String here = hostName();
        List<String> described = new ArrayList<>();
        for (AwaitedDirectory d : awaitedBy(life)) {
            described.add(d.describe(here, d.host().equals(here) && Files.isDirectory(Path.of(d.path()))));
        }
        return described;
    }

    /**
     * Notes a graceful stop: the directory stays registered until {@code neededUntilMinute} for its
     * identities, and whether PostgreSQL held every count in it (then a next life restores only those).
     */
    void noteStopped(String id, boolean countsInPostgres, long neededUntilMinute) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     UPDATE journal_directory SET stopped_at = now(), counts_in_postgres = ?, needed_until = to_timestamp(? * 60)
                     WHERE id = ?""")) {
            ps.setBoolean(1, countsInPostgres);
            ps.setLong(2, neededUntilMinute);
            ps.setObject(3, UUID.fromString(id));
            ps.executeUpdate();
        }
    }

    /** The id a journal directory is named by; empty for anything else under a journal root. */
    static Optional<UUID> directoryId(Path dir) {
        try {
            return Optional.of(UUID.fromString(dir.getFileName().toString()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown-host";
        }
    }
}
