package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.List;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.exactness.Target;

/**
 * Seconds of everything at a low rate, so the module cannot rot: every hostile request once, then page views
 * (with more clicks and sales than real traffic, so each kind occurs), sales postbacks with retries and
 * races, and random hostile requests; then the exactness check. {@code mvn verify} runs it against an
 * in-process AdGrid (GatlingSmokeIT). Defaults: {@code -Drate=20} requests/s, {@code -Dduration=10} s.
 */
public class SmokeSimulation extends AdGridSimulation {

    public SmokeSimulation() {
        super(20, 10, 0, 2000);
        Flows flows = flows(null, false);
        Flows.Mix mix = new Flows.Mix(0.1, 0.3, 0.3, 200);
        double requestsPerUser = 0.7 * mix.requestsPerView() + 0.15 * Flows.requestsPerPostback(0.5, 0.3)
                + 0.15 * flows.requestsPerHostileChain();
        run(List.of(Target.banner(1)), List.of("impression"),
                scenario("hostile catalogue").exec(flows.hostileCatalogue()).injectOpen(atOnceUsers(1)),
                scenario("smoke mix").exec(randomSwitch().on(
                        percent(70).then(flows.pageView(mix)),
                        percent(15).then(flows.salesPostback(0.5, 0.3)),
                        percent(15).then(flows.hostileRandom())))
                        .injectOpen(constantUsersPerSec(rate / requestsPerUser).during(duration)));
    }
}
