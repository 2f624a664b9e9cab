package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.List;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.config.Settings;

/**
 * Sales postbacks from ad servers, with retries: each order is posted once (202); {@code -DretryShare} (0.3)
 * of them are posted again 20-300 ms later, the identical request, and half of those once more re-signed with
 * a later ts as JSON: each must be answered 200 {"duplicate":true}, never a second 202. {@code -DraceShare}
 * (0.1) of the orders are posted twice at the same moment: exactly one 202. Conversions and revenue must be
 * counted once per order. {@code -Drate} postback requests/s (200) for {@code -Dduration} s (60); p99 of
 * first postbacks within {@code -Dp99Ms} (200).
 */
public class SalesPostbacksSimulation extends AdGridSimulation {

    public SalesPostbacksSimulation() {
        super(200, 60, 0, 200);
        double retryShare = Settings.share("retryShare", 0.3);
        double raceShare = Settings.share("raceShare", 0.1);
        double orders = rate / Flows.requestsPerPostback(retryShare, raceShare);
        run(List.of(), List.of("postback"),
                scenario("sales postbacks").exec(flows(null, false).salesPostback(retryShare, raceShare))
                        .injectOpen(constantUsersPerSec(orders).during(duration)));
    }
}
