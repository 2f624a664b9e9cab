package io.adgrid.persister.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The product's own PostgreSQL keeps what it committed across a power cut: fsync is on. */
class EmbeddedDatabaseIT {

    @TempDir
    Path varDir;

    /** Every test's server left its 44 MB directory in /tmp: a CI box kept them all. */
    @Test
    void aTemporaryServerDeletesItsDirectoryWhenClosed() throws Exception {
        EmbeddedDatabase db = EmbeddedDatabase.startTemporary();
        Path dir = Path.of(setting(db, "data_directory")).getParent();
        assertThat(dir.resolve("pgdata")).isDirectory();
        db.close();
        assertThat(dir).doesNotExist();
    }

    @Test
    void theProductsServerSyncsItsWritesToDisk() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(varDir, 0)) {
            assertThat(setting(db, "fsync")).isEqualTo("on");
            assertThat(setting(db, "synchronous_commit")).isEqualTo("on");
            assertThat(varDir.resolve(EmbeddedDatabase.PORT_FILE)).hasContent(Integer.toString(db.port()));
        }
        assertThat(varDir.resolve(EmbeddedDatabase.PORT_FILE)).doesNotExist();
    }

    /** Issue 20: initdb's trust let any local user in; the product's server asks for its generated password. */
    @Test
    void theProductsServerRefusesAConnectionWithoutItsPasswordAndListensOnLoopback() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(varDir, 0)) {
            String url = db.settings().url();
            assertThatThrownBy(() -> DriverManager.getConnection(url, "postgres", "").close())
                    .isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> DriverManager.getConnection(url, "postgres", "not-the-password").close())
                    .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
            assertThat(setting(db, "listen_addresses")).isEqualTo("127.0.0.1");
            Path passwordFile = varDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
            assertThat(Files.getPosixFilePermissions(passwordFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(EmbeddedDatabase.running(varDir).password()).isEqualTo(db.settings().password()).isNotBlank();
        }
    }

    /** A data directory made by an earlier version (trust) asks for the password once restarted. */
    @Test
    void aDataDirectoryCreatedWithTrustAsksForThePasswordAfterARestart() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(varDir, 0)) {
            assertThat(db.port()).isPositive();
        }
        Path hba = varDir.resolve("pgdata").resolve("pg_hba.conf");
        Files.writeString(hba, Files.readString(hba).replace("scram-sha-256", "trust"));
        try (EmbeddedDatabase db = EmbeddedDatabase.start(varDir, 0)) {
            assertThatThrownBy(() -> DriverManager.getConnection(db.settings().url(), "postgres", "").close())
                    .isInstanceOf(SQLException.class);
            assertThat(setting(db, "fsync")).isEqualTo("on");
        }
    }

    /**
     * A second start on a var directory whose server runs (a second {@code ./adgrid run --demo}) took
     * the running server for one a killed process left behind and stopped it under the first process;
     * it must refuse in one clear sentence and leave the running server alone.
     */
    @Test
    void aSecondStartOnADirectoryInUseRefusesAndLeavesTheRunningServerAlone() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(varDir, 0)) {
            assertThatThrownBy(() -> EmbeddedDatabase.start(varDir, 0)).isInstanceOf(EmbeddedDatabase.InUseException.class)
                    .hasMessageContaining("is in use by another AdGrid process").hasMessageContaining("ADGRID_VAR_DIR");
            assertThat(setting(db, "fsync")).as("the first server still answers").isEqualTo("on");
        }
    }

    private static String setting(EmbeddedDatabase db, String name) throws Exception {
        try (Connection c = DriverManager.getConnection(db.settings().url(), "postgres", db.settings().password());
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
