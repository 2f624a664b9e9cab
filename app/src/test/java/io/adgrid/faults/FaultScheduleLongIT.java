package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -Pfaults}: a 30-minute schedule of every nemesis, 4 data members ({@code -Dfaults.seed}, {@code -Dfaults.minutes}). */
class FaultScheduleLongIT {

    @Test
    void aThirtyMinuteScheduleLeavesALegalHistory() throws Exception {
        long seed = Long.getLong("faults.seed", 30);
        FaultRunner.Options options = new FaultRunner.Options(seed, Integer.getInteger("faults.minutes", 30), 4,
                Schedule.parse(System.getProperty("faults.nemeses", "all")), 4,
                Path.of("target", "adgrid-exec.jar"), Files.createTempDirectory("adgrid-faults-" + seed + "-"), List.of(), false);
        FaultRunner.Result result = FaultRunner.run(options, System.out);

        assertThat(result.events()).isPositive();
        assertThat(result.anomalies()).as(result.report()).isEmpty();
    }
}
