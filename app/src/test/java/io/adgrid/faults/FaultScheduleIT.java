package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A 2-minute seeded fault schedule against a real cluster (3 data members, 2 gateways, reporting,
 * PostgreSQL; separate processes), checked by the history checker. {@code -Dfaults.seed=S} replays
 * another seed, {@code -Dfaults.nemeses=kill,pause,...} narrows the draw.
 */
class FaultScheduleIT {

    static final String DEFAULT_NEMESES = System.getProperty("faults.default-nemeses",
            "KILL,KILL_GATEWAY,PAUSE,RESTART,ROLLING_RESTART,POSTGRES_STOP,CLOCK_SKEW,DISK_FULL,START_FAILS");

    @Test
    void aTwoMinuteScheduleLeavesALegalHistory() throws Exception {
        long seed = Long.getLong("faults.seed", 2);
        FaultRunner.Options options = new FaultRunner.Options(seed, Integer.getInteger("faults.minutes", 2), 3,
                Schedule.parse(System.getProperty("faults.nemeses", DEFAULT_NEMESES)), 4,
                Path.of("target", "adgrid-exec.jar"), Files.createTempDirectory("adgrid-faults-" + seed + "-"), List.of(), false);
        FaultRunner.Result result = FaultRunner.run(options, System.out);

        assertThat(result.events()).isPositive();
        assertThat(result.anomalies()).as(result.report()).isEmpty();
        assertThat(options.work()).as("a clean run's directory (400 MB) is deleted").doesNotExist();
    }
}
