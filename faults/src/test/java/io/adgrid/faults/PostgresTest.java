package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The URLs the runner hands out; starting, stopping and promoting are played by the runs (docs/RELIABILITY.md). */
class PostgresTest {

    @Test
    void withoutAStandbyEveryoneGetsTheOneServer() {
        Postgres pg = new Postgres(Path.of("/nonexistent"), 5601);
        assertThat(pg.withStandby()).isFalse();
        assertThat(pg.settings("postgres").url()).isEqualTo("jdbc:postgresql://127.0.0.1:5601/postgres");
        assertThat(pg.primarySettings("postgres").url()).isEqualTo("jdbc:postgresql://127.0.0.1:5601/postgres");
    }

    @Test
    void withAStandbyAdGridGetsBothServersAndOnlyThePrimaryTheRunnerReadsTheCurrentOne() {
        Postgres pg = new Postgres(Path.of("/nonexistent"), 5601, "10.214.7.1", 5602);
        assertThat(pg.withStandby()).isTrue();
        assertThat(pg.settings("faults_other").url())
                .isEqualTo("jdbc:postgresql://10.214.7.1:5601,10.214.7.1:5602/faults_other?targetServerType=primary");
        // The runner reads on 127.0.0.1, which every server listens on too, from the primary it knows of.
        assertThat(pg.primarySettings("postgres").url()).isEqualTo("jdbc:postgresql://127.0.0.1:5601/postgres");
    }
}
