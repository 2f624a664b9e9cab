package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.config.Settings;
import io.adgrid.gatling.saturation.Knee;
import io.adgrid.gatling.saturation.LoadLevels;
import io.gatling.javaapi.core.OpenInjectionStep;

/**
 * A ramp to saturation: the steady mix in {@code -Dsteps} (10) equal stairs up to {@code -Drate} requests/s
 * (20000) over {@code -Dduration} s (200), each stair reached by a linear ramp of {@code -DstepRamp} s (2). A 503 is a legitimate
 * answer here (overload shedding; the event is re-sent after the run, so exactness still holds). At the end it
 * prints, and writes to target/adgrid-reports/knee.txt, per level: offered, sent, ok, 503 and failed per second,
 * p50 and p99; and the knee: the first level with p99 above {@code -DkneeP99Ms} (100), more than
 * {@code -DkneeFailedPercent} (1) shed or failed, or fewer ok answers than {@code -DkneeThroughput} (0.95) of
 * the offered rate. {@code -DstopAfterKnee} (1) levels past the knee, or as soon as more than
 * {@code -DmaxInFlight} (half the open-files limit, at most 5000) requests wait for an answer, the virtual users
 * stop sending (the injection profile runs on, idle): further stairs would only melt the system down and
 * exhaust file descriptors; {@code -DstopAfterKnee=-1} climbs to the top anyway (in-flight limit still on). Asserts exactness and at most {@code -DmaxFailedPercent} (5) failed requests (timeouts, errors;
 * 503s excluded); no latency assertion (that is what the knee reports).
 */
public class RampToSaturationSimulation extends AdGridSimulation {

    private final LoadLevels levels;

    public RampToSaturationSimulation() {
        super(20000, 200, 5, 0);
        int steps = Math.max(1, Settings.integer("steps", 10));
        double rampSeconds = Settings.number("stepRamp", 2);
        double levelSeconds = duration.toMillis() / 1000.0 / steps - rampSeconds;
        if (levelSeconds < 1) {
            throw new IllegalArgumentException("-Dduration too short for " + steps + " steps with " + rampSeconds + " s ramps");
        }
        Flows.Mix mix = Flows.Mix.realistic(Settings.integer("thinkMs", 200));
        double[] offered = new double[steps];
        List<OpenInjectionStep> injection = new ArrayList<>();
        Duration level = Duration.ofMillis(Math.round(levelSeconds * 1000));
        Duration ramp = Duration.ofMillis(Math.round(rampSeconds * 1000));
        for (int k = 0; k < steps; k++) {
            offered[k] = rate * (k + 1) / steps;
            double views = offered[k] / mix.requestsPerView();
            if (!ramp.isZero()) {
                injection.add(rampUsersPerSec(k == 0 ? 0 : offered[k - 1] / mix.requestsPerView()).to(views).during(ramp));
            }
            injection.add(constantUsersPerSec(views).during(level));
        }
        Knee knee = new Knee(Settings.number("kneeP99Ms", 100), Settings.number("kneeFailedPercent", 1) / 100,
                Settings.number("kneeThroughput", 0.95));
        levels = new LoadLevels(offered, level.toMillis(), ramp.toMillis(), knee, Settings.integer("stopAfterKnee", 1),
                Settings.integer("maxInFlight", LoadLevels.defaultMaxInFlight()));
        Flows flows = flows(levels, true);
        run(List.of(), List.of(), scenario("ramp to saturation")
                .doIf(s -> !levels.stopped()).then(flows.pageView(mix))
                .injectOpen(injection));
    }

    @Override
    public void after() {
        String report = levels.report("Ramp to saturation (run " + renderer.runId() + ")");
        System.out.println(report);
        LoadLevels.write(Settings.reportDir().resolve("knee.txt"), report);
    }
}
