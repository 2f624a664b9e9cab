package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The checker is shown to catch a real dedup hole: the grid members run with a test-only flag that
 * counts a re-posted order again (RouteState, {@code adgrid.test.planted-bug.skip-order-dedup}).
 * No fault is injected; the runner must report the re-posts answered as new sales and the
 * conversions and revenue counted over what the history allows.
 */
@Tag("faults")
class PlantedBugIT {

    @Test
    void skippingOrderDedupIsReportedAsAnomalies() throws Exception {
        FaultRunner.Options options = new FaultRunner.Options(18, 1, 1, EnumSet.noneOf(Schedule.Nemesis.class), 3,
                Path.of("target", "adgrid-exec.jar"), Files.createTempDirectory("adgrid-planted-bug"),
                List.of("-Dadgrid.test.planted-bug.skip-order-dedup=true"), false);
        FaultRunner.Result result = FaultRunner.run(options, System.out);

        assertThat(result.events()).isPositive();
        assertThat(result.anomalies()).extracting(Checker.Anomaly::kind).contains("REPLAY_ANSWERED_AS_NEW", "DOUBLED");
        assertThat(result.anomalies()).filteredOn(a -> a.kind().equals("DOUBLED"))
                .allMatch(a -> a.where().contains("conversions") || a.where().contains("revenue_micros"));
        assertThat(result.report()).contains("seed 18", "ANOMALIES", "first offending events", "REPLAY_ANSWERED_AS_NEW");
    }
}
