package io.adgrid.persister.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The product's own PostgreSQL keeps what it committed across a power cut: fsync is on. */
class EmbeddedDatabaseIT {

    @Test
    void theProductsServerSyncsItsWritesToDisk() throws Exception {
        Path varDir = Files.createTempDirectory("adgrid-embedded-it");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(varDir, 0)) {
            assertThat(setting(db, "fsync")).isEqualTo("on");
            assertThat(setting(db, "synchronous_commit")).isEqualTo("on");
            assertThat(varDir.resolve(EmbeddedDatabase.PORT_FILE)).hasContent(Integer.toString(db.port()));
        }
        assertThat(varDir.resolve(EmbeddedDatabase.PORT_FILE)).doesNotExist();
    }

    private static String setting(EmbeddedDatabase db, String name) throws Exception {
        try (Connection c = DriverManager.getConnection(db.settings().url(), "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
