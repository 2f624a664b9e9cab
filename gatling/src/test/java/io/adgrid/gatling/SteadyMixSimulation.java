package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.time.Duration;
import java.util.List;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.config.Settings;

/**
 * A realistic steady mix: page views of popular banners (a few hot, a long tail) on random publishers;
 * of the requests about 90 % impressions (2 % of them reloads), 9 % clicks carrying their impression's
 * nonce, 1 % sales after a click. {@code -Drate} requests/s (default 1000) for {@code -Dduration} s (60)
 * after a linear {@code -DrampUp} (10 s) from a tenth of the rate; {@code -DthinkMs} (1000) between the
 * steps of a view. Asserts no failed request and p99 of impressions and clicks within {@code -Dp99Ms} (200).
 */
public class SteadyMixSimulation extends AdGridSimulation {

    public SteadyMixSimulation() {
        super(1000, 60, 0, 200);
        Flows flows = flows(null, false);
        Flows.Mix mix = Flows.Mix.realistic(Settings.integer("thinkMs", 1000));
        double views = rate / mix.requestsPerView();
        Duration rampUp = Duration.ofMillis(Math.round(Settings.number("rampUp", 10) * 1000));
        run(List.of(), List.of("impression", "click"),
                scenario("steady mix").exec(flows.pageView(mix)).injectOpen(
                        rampUsersPerSec(views / 10).to(views).during(rampUp.isZero() ? Duration.ofMillis(1) : rampUp),
                        constantUsersPerSec(views).during(duration)));
    }
}
