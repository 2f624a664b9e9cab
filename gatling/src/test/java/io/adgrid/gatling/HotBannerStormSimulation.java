package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.config.Settings;
import io.adgrid.gatling.exactness.Target;

/**
 * A hot-banner storm: one banner ({@code -DhotBanner}, 7) suddenly gets {@code -DhotShare} (0.8) of the page
 * views, so one grid entry (one partition) takes nearly all the load. Background traffic at
 * {@code -DbaseShare} (0.1) of the peak for the first 20 % of {@code -Dduration} (60 s), a 2 s surge to
 * {@code -Drate} requests/s (3000), held for half the duration, back down, background to the end.
 * Exactness is checked per campaign and for the hot banner itself; p99 of impressions within {@code -Dp99Ms}.
 */
public class HotBannerStormSimulation extends AdGridSimulation {

    public HotBannerStormSimulation() {
        super(3000, 60, 0, 200);
        long hot = Settings.integer("hotBanner", 7);
        if (!catalog.hasBanner(hot)) {
            throw new IllegalArgumentException("-DhotBanner=" + hot + " is not in the catalog");
        }
        double hotShare = Settings.share("hotShare", 0.8);
        Flows.Mix mix = Flows.Mix.realistic(Settings.integer("thinkMs", 1000));
        double peak = rate / mix.requestsPerView();
        double base = peak * Settings.share("baseShare", 0.1);
        long total = duration.toMillis();
        Duration surge = Duration.ofMillis(Math.min(2000, total / 10));
        Duration calm = Duration.ofMillis(total / 5);
        Duration storm = Duration.ofMillis(total / 2);
        Duration after = Duration.ofMillis(Math.max(1, total - calm.toMillis() - storm.toMillis() - 2 * surge.toMillis()));
        run(List.of(Target.banner(hot)), List.of("impression"),
                scenario("hot banner storm").exec(flows(null, false).pageView(mix,
                        () -> ThreadLocalRandom.current().nextDouble() < hotShare ? renderer.view(hot) : renderer.popularView()))
                        .injectOpen(
                                constantUsersPerSec(base).during(calm),
                                rampUsersPerSec(base).to(peak).during(surge),
                                constantUsersPerSec(peak).during(storm),
                                rampUsersPerSec(peak).to(base).during(surge),
                                constantUsersPerSec(base).during(after)));
    }
}
