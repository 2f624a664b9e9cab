package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import io.adgrid.gatling.beacon.Catalog;
import io.adgrid.gatling.beacon.Flows;
import io.adgrid.gatling.beacon.Renderer;
import io.adgrid.gatling.config.Settings;
import io.adgrid.gatling.exactness.Exactness;
import io.adgrid.gatling.exactness.Ledger;
import io.adgrid.gatling.exactness.Settler;
import io.adgrid.gatling.exactness.Target;
import io.adgrid.gatling.exactness.Verdicts;
import io.adgrid.gatling.saturation.LoadLevels;
import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

/**
 * What every AdGrid simulation shares: settings from system properties, the catalog and its signer, and the
 * three phases {@code baseline -> load -> exactness}. The baseline reads each campaign's (and checked banner's)
 * totals; after the load, events left without a definite answer are re-sent, the reporting API is compared
 * live, then an admin flush, then live and {@code source=db} again: each must report baseline + the distinct
 * events that got a 2xx. Assertions: no failed request in those phases, failed requests of the load at most
 * {@code -DmaxFailedPercent}, p99 of the named requests at most {@code -Dp99Ms} (0: no latency assertion).
 */
public abstract class AdGridSimulation extends Simulation {

    protected final String gatewayUrl = Settings.gatewayUrl();
    protected final String reportingUrl = Settings.reportingUrl();
    protected final Optional<String> adminToken = Settings.adminToken();
    protected final Catalog catalog = Catalog.fromSystemProperties();
    protected final Renderer renderer = new Renderer(catalog);
    protected final Ledger ledger = new Ledger();
    /** Requests (or, per simulation, postbacks or page views) per second. */
    protected final double rate;
    protected final Duration duration;
    protected final double maxFailedPercent;
    protected final int p99Ms;

    private Exactness exactness;

    protected AdGridSimulation(double defaultRate, int defaultDurationSeconds, double defaultMaxFailedPercent, int defaultP99Ms) {
        this.rate = Settings.number("rate", defaultRate);
        this.duration = Duration.ofMillis(Math.round(Settings.number("duration", defaultDurationSeconds) * 1000));
        this.maxFailedPercent = Settings.number("maxFailedPercent", defaultMaxFailedPercent);
        this.p99Ms = Settings.integer("p99Ms", defaultP99Ms);
        if (rate <= 0 || duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("-Drate and -Dduration must be positive");
        }
        Verdicts.clear(getClass().getName());
    }

    protected Flows flows(LoadLevels levels, boolean sheddingAllowed) {
        return new Flows(renderer, ledger, levels, sheddingAllowed);
    }

    protected HttpProtocolBuilder protocol() {
        return http.baseUrl(gatewayUrl)
                .disableFollowRedirect() // a click's 302 goes to the advertiser's landing page: check it, never follow it
                .disableWarmUp()
                .shareConnections()      // ad servers and CDNs keep connections to the gateway, browsers come and go
                // beacons come from browsers: the gateway counts a known robot's (Yauaa calls "adgrid-gatling" one) as invalid
                .userAgentHeader("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 adgrid-gatling")
                .acceptHeader("*/*");
    }

    /**
     * Sets the simulation up: baseline, then the load phases one after the other, then the exactness check.
     *
     * @param extraTargets    checked besides every campaign (e.g. a hot banner)
     * @param latencyRequests request names whose p99 is asserted (when {@code -Dp99Ms} > 0)
     * @param load            the load, in order (each starts when the previous one's users are all done)
     */
    protected void run(List<Target> extraTargets, List<String> latencyRequests, PopulationBuilder... load) {
        List<Target> targets = new ArrayList<>();
        for (long c : catalog.campaigns()) {
            targets.add(Target.campaign(c));
        }
        targets.addAll(extraTargets);
        exactness = new Exactness(getClass().getName(),
                Settings.reportDir().resolve("exactness-" + getClass().getSimpleName() + ".txt"), reportingUrl, ledger, targets);

        PopulationBuilder chain = exactnessScenario().injectOpen(atOnceUsers(1));
        for (int i = load.length - 1; i >= 0; i--) {
            chain = load[i].andThen(chain);
        }
        chain = baselineScenario().injectOpen(atOnceUsers(1)).andThen(chain);

        List<Assertion> assertions = new ArrayList<>();
        assertions.add(details("baseline").failedRequests().count().is(0L));
        assertions.add(details("exactness").failedRequests().count().is(0L));
        assertions.add(global().failedRequests().percent().lte(maxFailedPercent));
        if (p99Ms > 0) {
            for (String name : latencyRequests) {
                assertions.add(details(name).responseTime().percentile(99).lte(p99Ms));
            }
        }
        setUp(chain).protocols(protocol()).assertions(assertions);
    }

    private ScenarioBuilder baselineScenario() {
        ChainBuilder reads = exec(s -> {
            exactness.openWindow(Instant.now());
            return s;
        });
        for (Target t : exactness.targets()) {
            reads = reads.exec(http("stats before").get(s -> exactness.statsUrl(t, Exactness.Source.LIVE))
                    .check(status().is(200), bodyString().validate("baseline", (body, s) -> exactness.baseline(t, body))));
        }
        return scenario("baseline").exec(group("baseline").on(reads));
    }

    private ScenarioBuilder exactnessScenario() {
        ChainBuilder steps = exec(s -> {
            exactness.settled(new Settler(gatewayUrl, ledger).settle());
            return s;
        })
                .exec(compare(Exactness.Source.LIVE))
                .exec(http("admin flush").post(reportingUrl + "/api/v1/admin/flush")
                        .header("Authorization", "Bearer " + adminToken.orElse("no-admin-token-configured"))
                        .check(status().is(200), jsonPath("$.flushed").ofBoolean().is(true)))
                .exec(compare(Exactness.Source.LIVE_AFTER_FLUSH))
                .exec(compare(Exactness.Source.DB_AFTER_FLUSH));
        return scenario("exactness").exec(group("exactness").on(steps)).exec(s -> {
            exactness.finish();
            return s;
        });
    }

    private ChainBuilder compare(Exactness.Source source) {
        ChainBuilder c = exec(s -> s);
        for (Target t : exactness.targets()) {
            c = c.exec(http("stats " + source.label).get(s -> exactness.statsUrl(t, source))
                    .check(status().is(200), bodyString().validate("exact", (body, s) -> exactness.compare(t, source, body))));
        }
        return c;
    }

    /** Prints the setup and fails fast when AdGrid is not there or the admin token is missing. */
    @Override
    public void before() {
        System.out.printf("%n=== %s against gateway %s, reporting %s; catalog: %s; rate %s/s for %s; run id %s ===%n",
                getClass().getSimpleName(), gatewayUrl, reportingUrl, catalog, rate, duration, renderer.runId());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        probe(client, gatewayUrl + "/healthz", "the gateway");
        probe(client, reportingUrl + "/api/v1/stats?granularity=total", "the reporting API");
        if (adminToken.isEmpty()) {
            throw new IllegalStateException("no admin token for the flush: give -DadminToken=..., set ADGRID_ADMIN_TOKEN, "
                    + "give -DadminTokenFile=..., or run from the checkout whose var/admin.token ./adgrid run wrote");
        }
    }

    static void probe(HttpClient client, String url, String what) {
        try {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(what + " answered " + r.statusCode() + " at " + url);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + what + " at " + url + " (is `./adgrid run --demo` running?): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
