package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.List;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.config.Settings;

/**
 * A hostile mix: first every hostile request once, then {@code -Drate} requests/s (500) for {@code -Dduration}
 * s (30) of which {@code -DhostileShare} (0.5) of the flows are hostile: tampered b, p, ts or amount and a
 * signature with another campaign's secret (403), a truncated or missing sig, a malformed id or nonce, an
 * unsigned extra parameter, a click carrying a redirect target (400), an unknown banner or publisher (404), a
 * stale or future ts, a negative or over-precise amount (422), an impression by POST (405), and replayed
 * impressions, clicks and sales (answered like the original, counted once). Each must get exactly its answer
 * (a mismatch is a failed request); the rest is the realistic page-view mix; exactness proves no hostile
 * request was counted. p99 of impressions within {@code -Dp99Ms} (200).
 */
public class HostileMixSimulation extends AdGridSimulation {

    public HostileMixSimulation() {
        super(500, 30, 0, 200);
        double hostileShare = Settings.share("hostileShare", 0.5);
        Flows flows = flows(null, false);
        Flows.Mix mix = Flows.Mix.realistic(Settings.integer("thinkMs", 200));
        double perUser = hostileShare * flows.requestsPerHostileChain() + (1 - hostileShare) * mix.requestsPerView();
        run(List.of(), List.of("impression"),
                scenario("hostile catalogue").exec(flows.hostileCatalogue()).injectOpen(atOnceUsers(1)),
                scenario("hostile mix").exec(randomSwitch().on(
                        percent(hostileShare * 100).then(flows.hostileRandom()),
                        percent((1 - hostileShare) * 100).then(flows.pageView(mix))))
                        .injectOpen(constantUsersPerSec(rate / perUser).during(duration)));
    }
}
