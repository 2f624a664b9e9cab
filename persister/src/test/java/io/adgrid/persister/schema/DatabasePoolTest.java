package io.adgrid.persister.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

class DatabasePoolTest {

    /**
     * Issue 18, seed 22: a member started while PostgreSQL was going down; HikariCP's probe of the default
     * isolation level failed on a closed connection, left the level at -1, and every later connection was
     * refused ("Transaction isolation level -1 not supported", HikariCP issue 1944): the member never came
     * back. With the level set, nothing is probed.
     */
    @Test
    void thePoolSetsTheIsolationLevelInsteadOfProbingIt() {
        DatabaseSettings settings = new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/none", "adgrid", "secret");
        try (HikariDataSource pool = Database.pool(settings, "isolation-test", 1)) {
            assertThat(pool.getTransactionIsolation()).isEqualTo("TRANSACTION_READ_COMMITTED");
        }
    }
}
