package io.adgrid.persister.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded server's password: generated once, kept in a file only its owner can read. */
final class Secrets {

    private static final Logger log = LoggerFactory.getLogger(Secrets.class);

    private Secrets() {
    }

    /** The password in {@code file}; created (mode 0600 at creation, never chmod-ed later) when absent. */
    static String readOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            try {
                Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                        password + "\n");
            } catch (FileAlreadyExistsException e) {
                // another process of this host created it first: use theirs
            }
        }
        return Files.readString(file).trim();
    }

    /**
     * A data directory created before the server had a password (initdb's trust): the superuser gets
     * the password and pg_hba.conf asks for it from now on.
     */
    static void requirePasswordAuth(EmbeddedPostgres postgres, Path data, String password) {
        Path hba = data.resolve("pg_hba.conf");
        try {
            String config = Files.readString(hba);
            if (!config.lines().anyMatch(l -> !l.startsWith("#") && l.matches(".*\\btrust\\s*$"))) {
                return;
            }
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("SET password_encryption = 'scram-sha-256'");
                st.execute("ALTER ROLE " + EmbeddedDatabase.SUPERUSER + " PASSWORD '" + password.replace("'", "''") + "'");
                Files.writeString(hba, config.lines().map(l -> l.startsWith("#") ? l : l.replaceAll("\\btrust\\s*$", "scram-sha-256"))
                        .reduce("", (a, b) -> a + b + "\n"));
                st.execute("SELECT pg_reload_conf()");
            }
            log.info("embedded PostgreSQL: password authentication turned on (pg_hba.conf had trust)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot turn on password authentication of the embedded PostgreSQL", e);
        }
    }
}
