package io.adgrid.persister.schema;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Issue 20: the start banner printed the whole DB URL, password included. */
class DatabaseSettingsTest {

    @Test
    void aPasswordInTheUrlIsNeverPrinted() {
        DatabaseSettings s = new DatabaseSettings("jdbc:postgresql://db:5432/adgrid?user=ad&password=s3cr%26t&ssl=true", "ad", "pw");
        assertThat(s.redactedUrl()).isEqualTo("jdbc:postgresql://db:5432/adgrid?user=ad&password=****&ssl=true");
        assertThat(s.toString()).doesNotContain("s3cr").doesNotContain("pw");
        assertThat(DatabaseSettings.redact("jdbc:postgresql://ad:hunter2@db/adgrid")).isEqualTo("jdbc:postgresql://ad:****@db/adgrid");
        assertThat(DatabaseSettings.redact("jdbc:postgresql://db/adgrid?PASSWORD=x")).isEqualTo("jdbc:postgresql://db/adgrid?PASSWORD=****");
        assertThat(DatabaseSettings.redact("jdbc:postgresql://127.0.0.1:5432/postgres")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/postgres");
    }
}
