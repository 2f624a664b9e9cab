package io.adgrid.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.repeat;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.sse;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.adgrid.gatling.beacon.Catalog;
import io.adgrid.gatling.beacon.Renderer;
import io.adgrid.gatling.budget.ImpressionBodies;
import io.adgrid.gatling.budget.PacingJson;
import io.adgrid.gatling.budget.SignalSummary;
import io.adgrid.gatling.budget.Trial;
import io.adgrid.gatling.config.Settings;
import io.gatling.http.action.sse.SseInboundMessage;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;

/**
 * Issue 21's budget stop signal under Gatling: how long after the impression that reaches a campaign's
 * budget a subscriber of {@code GET /api/v1/pacing/stream} hears "exhausted", and whether billing
 * overshoots. The Gatling twin of bench/PacingSignal.java, measured the same way.
 * <p>
 * One virtual user opens the stream with Gatling's SSE support, then runs {@code -Dtrials} trials on
 * campaign {@code -Dcampaign} (a CPM campaign; the demo's campaign 1 sells at 2.50). Each trial sets the
 * campaign's total budget (admin API) to its spend so far plus {@code -Dcross} impressions, waits until the
 * pacing monitor shows that budget, then posts signed impressions of the campaign to {@code POST /events},
 * {@code -DperRequest} a body, one body after the other, paced to {@code -Drate} events/s, until the stream
 * said "exhausted" for that budget and {@code -Dmargin} (a share of cross) more were sent. The stream's
 * messages are read after each answer from Gatling's buffer, which stamps each with its arrival; the
 * delay is from the answer of the body holding the crossing impression to that arrival. After each trial
 * {@code GET /api/v1/campaigns/{id}/pacing} must show billed = budget and over_budget = impressions past
 * the crossing ("trial check"), and once more after an admin flush; then the campaign's earlier budget
 * is put back.
 * <p>
 * Assertions: no failed request, every trial's check passed, and the check after the flush too;
 * {@code -DsignalP99Ms} (1000, the goal; 0: none) bounds the delay's p99 in that last check. A
 * trial whose signal is not heard within {@code -DsignalTimeout} s of the crossing fails its check. The
 * summary (a table and PacingSignal's key=value line) is printed and written to
 * {@code budget-exhaustion.txt} in the report directory. Nothing else may send the campaign's events
 * during the run.
 */
public class BudgetExhaustionSimulation extends Simulation {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The monitor refreshes every 100-250 ms: far longer without the new budget means it is stuck. */
    private static final long MONITOR_TIMEOUT_MILLIS = 30_000;

    private final String gatewayUrl = Settings.gatewayUrl();
    private final String reportingUrl = Settings.reportingUrl();
    private final Optional<String> adminToken = Settings.adminToken();
    private final Renderer renderer = new Renderer(Catalog.fromSystemProperties());
    private final long campaign = Settings.integer("campaign", 1);
    private final double rate = Settings.number("rate", 4000);
    private final int perRequest = Settings.integer("perRequest", 100);
    private final int trials = Settings.integer("trials", 30);
    private final long cross = Settings.integer("cross", 2000);
    private final double margin = Settings.number("margin", 0.2);
    private final long signalTimeoutMillis = Math.round(Settings.number("signalTimeout", 30) * 1000);
    private final long signalP99Ms = Settings.integer("signalP99Ms", 1000);
    private final ImpressionBodies bodies = new ImpressionBodies(renderer, campaign);
    private final SignalSummary summary = new SignalSummary(getClass().getName(), rate, perRequest, cross);
    private final String pacingUrl = reportingUrl + "/api/v1/campaigns/" + campaign + "/pacing";
    private final String campaignAdminUrl = reportingUrl + "/api/v1/admin/catalog/campaigns/" + campaign;

    // set in before(); one virtual user runs the trials, one after the other
    private volatile long unitMicros;
    private volatile String budgetBefore;
    private volatile Trial trial;
    private volatile long monitorDeadline;

    public BudgetExhaustionSimulation() {
        if (rate <= 0 || perRequest < 1 || perRequest > 10_000 || trials < 1 || cross < 1 || margin < 0 || signalTimeoutMillis <= 0) {
            throw new IllegalArgumentException("need -Drate > 0, -DperRequest 1..10000 (the gateway's line limit), -Dtrials >= 1, "
                    + "-Dcross >= 1, -Dmargin >= 0, -DsignalTimeout > 0");
        }
        SignalSummary.clear(getClass().getName());
        String bearer = "Bearer " + adminToken.orElse("no-admin-token-configured");

        ChainBuilder sending = exec(http("events").post("/events")
                .header("Content-Type", "application/x-ndjson")
                .body(StringBody(s -> bodies.next(perRequest)))
                .check(status().is(200), jsonPath("$.accepted").ofInt().is(perRequest)))
                .exitHereIfFailed() // a body not counted whole leaves the trial's arithmetic undefined
                .exec(s -> {
                    trial.answered(perRequest, System.currentTimeMillis());
                    return s;
                })
                .exec(sse.processUnmatchedMessages(this::heard))
                .pause(s -> Duration.ofMillis(trial.pauseMillis(System.currentTimeMillis())));

        // a failed trial is in its check and the summary; the next ones still run, and the budget is still put back
        ChainBuilder oneTrial = exec(Session::markAsSucceeded)
                .exec(http("pacing before").get(pacingUrl)
                .check(status().is(200), bodyString().validate("spend read", (body, s) -> {
                    trial = new Trial(s.getInt("trial") + 1, PacingJson.parse(body).spendMicros(), unitMicros, cross, margin, rate,
                            signalTimeoutMillis);
                    return body;
                })))
                .exec(http("set budget").put(campaignAdminUrl + "/budget")
                        .header("Authorization", bearer).header("Content-Type", "application/json")
                        .body(StringBody(s -> "{\"total_micros\":" + trial.budgetMicros() + ",\"time_zone\":\"UTC\"}"))
                        .check(status().is(200), jsonPath("$.budget.total_micros").ofLong().is(s -> trial.budgetMicros())))
                .exitHereIfFailed()
                .exec(s -> {
                    monitorDeadline = System.currentTimeMillis() + MONITOR_TIMEOUT_MILLIS;
                    return s.set("monitored", false);
                })
                // the crossing is timed from the monitor's view: it must know the budget before the first body
                .asLongAs(s -> !s.getBoolean("monitored")).on(
                        pause(Duration.ofMillis(50))
                                .exec(http("monitor has the budget").get(reportingUrl + "/api/v1/pacing")
                                        .check(status().is(200), bodyString().transform(this::monitored).saveAs("monitored")))
                                .exitHereIfFailed())
                .exec(sse.processUnmatchedMessages((messages, s) -> s)) // earlier states, not this trial's
                .exec(s -> {
                    trial.start(System.currentTimeMillis());
                    return s;
                })
                .asLongAs(s -> trial.sending(System.currentTimeMillis())).on(sending)
                .exec(http("trial check").get(pacingUrl)
                        .check(status().is(200), bodyString().validate("billed = budget, over_budget exact, signal heard", (body, s) -> {
                            settle(body);
                            return body;
                        })));

        ChainBuilder run = exec(sse("pacing stream").get(reportingUrl + "/api/v1/pacing/stream"))
                .exitHereIfFailed()
                .exec(repeat(trials, "trial").on(oneTrial))
                .exec(Session::markAsSucceeded)
                .exec(http("admin flush").post(reportingUrl + "/api/v1/admin/flush").header("Authorization", bearer)
                        .check(status().is(200), jsonPath("$.flushed").ofBoolean().is(true)))
                .exec(http("after the flush").get(pacingUrl)
                        .check(status().is(200),
                                bodyString().validate("billed = budget from PostgreSQL", (body, s) -> afterFlush(body)),
                                bodyString().validate("signal p99 within -DsignalP99Ms", (body, s) -> signalWithinGoal(body))))
                .exec(http("restore budget").put(campaignAdminUrl + "/budget")
                        .header("Authorization", bearer).header("Content-Type", "application/json")
                        .body(StringBody(s -> budgetBefore))
                        .check(status().is(200)))
                .exec(sse("close stream").close());

        setUp(scenario("budget exhaustion").exec(run).injectOpen(atOnceUsers(1)))
                .protocols(http.baseUrl(gatewayUrl)
                        .disableWarmUp()
                        .userAgentHeader("adgrid-gatling")
                        // stream messages wait here between answers, each stamped with its arrival
                        .sseUnmatchedInboundMessageBufferSize(10_000))
                .assertions(
                        global().failedRequests().count().is(0L),
                        details("trial check").successfulRequests().count().is((long) trials),
                        details("after the flush").successfulRequests().count().is(1L));
    }

    /** Looks for this trial's "exhausted" among the stream's messages since the last answer. */
    private Session heard(List<SseInboundMessage> messages, Session s) {
        Trial t = trial;
        for (SseInboundMessage m : messages) {
            PacingJson.ofStreamMessage(m.message())
                    .filter(p -> p.campaign() == campaign && p.state().equals("exhausted") && p.totalBudgetMicros() == t.budgetMicros())
                    .ifPresent(p -> t.exhausted(m.timestamp()));
        }
        return s;
    }

    private Boolean monitored(String body) {
        boolean ready = PacingJson.inList(body, campaign)
                .filter(p -> p.state().equals("pacing") && p.totalBudgetMicros() == trial.budgetMicros()).isPresent();
        if (!ready && System.currentTimeMillis() > monitorDeadline) {
            throw new IllegalStateException("the pacing monitor did not show campaign " + campaign + " pacing at the new budget within "
                    + MONITOR_TIMEOUT_MILLIS + " ms");
        }
        return ready;
    }

    private void settle(String body) {
        PacingJson p = PacingJson.parse(body);
        Trial.Outcome o = trial.settle(p.billedMicros(), p.overBudget());
        summary.add(o);
        System.out.printf("trial %d: budget %d micros, sent %d, signal %s after the crossing body's answer, billed %d (%+d), over_budget +%d%n",
                o.trial(), o.budgetMicros(), o.sent(), o.delayMillis().isPresent() ? o.delayMillis().getAsLong() + " ms" : "never",
                p.billedMicros(), o.overshootMicros(), p.overBudget());
        if (!o.passed()) {
            throw new IllegalStateException("trial " + o.trial() + ": " + String.join("; ", o.problems()));
        }
    }

    private String afterFlush(String body) {
        PacingJson p = PacingJson.parse(body);
        Trial t = trial;
        if (p.billedMicros() != t.budgetMicros() || p.overBudget() != t.sent() - t.cross()) {
            throw new IllegalStateException("after the flush: billed " + p.billedMicros() + " micros of a budget of " + t.budgetMicros()
                    + ", over_budget " + p.overBudget() + " for " + (t.sent() - t.cross()) + " impressions past the crossing");
        }
        System.out.printf("after the flush: billed %d micros, total budget %d (%+d), over_budget %d%n",
                p.billedMicros(), p.totalBudgetMicros(), p.billedMicros() - p.totalBudgetMicros(), p.overBudget());
        return body;
    }

    private String signalWithinGoal(String body) {
        OptionalLong p99 = summary.p99();
        if (signalP99Ms > 0 && p99.orElse(Long.MAX_VALUE) > signalP99Ms) {
            throw new IllegalStateException((p99.isPresent() ? "signal p99 " + p99.getAsLong() + " ms" : "no signal heard")
                    + " over -DsignalP99Ms=" + signalP99Ms);
        }
        return body;
    }

    /** Fails fast without AdGrid, the admin token or a CPM price, and keeps the campaign's budget to put back. */
    @Override
    public void before() {
        System.out.printf("%n=== %s against gateway %s, reporting %s; campaign %d, %d trials of %d impressions to the crossing at %s events/s, "
                        + "%d a body; run id %s ===%n",
                getClass().getSimpleName(), gatewayUrl, reportingUrl, campaign, trials, cross, rate, perRequest, renderer.runId());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AdGridSimulation.probe(client, gatewayUrl + "/healthz", "the gateway");
        String token = adminToken.orElseThrow(() -> new IllegalStateException("no admin token for the budget: give -DadminToken=..., "
                + "set ADGRID_ADMIN_TOKEN, give -DadminTokenFile=..., or run from the checkout whose var/admin.token ./adgrid run wrote"));
        JsonNode c;
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(campaignAdminUrl)).header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + campaignAdminUrl + " answered " + r.statusCode() + ": " + r.body());
            }
            c = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the reporting API at " + reportingUrl + " (is `./adgrid run --demo` running?): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        JsonNode pricing = c.path("pricing");
        if (!pricing.path("model").asText().equals("CPM") || pricing.path("price_micros").asLong() % 1000 != 0
                || pricing.path("price_micros").asLong() <= 0) {
            throw new IllegalStateException("campaign " + campaign + " must be priced CPM (an impression costing whole micros), not " + pricing);
        }
        unitMicros = pricing.path("price_micros").asLong() / 1000;
        JsonNode b = c.path("budget");
        ObjectNode restore = JSON.createObjectNode();
        restore.set("daily_micros", b.path("daily_micros").isMissingNode() ? null : b.get("daily_micros"));
        restore.set("total_micros", b.path("total_micros").isMissingNode() ? null : b.get("total_micros"));
        if (b.hasNonNull("time_zone")) {
            restore.set("time_zone", b.get("time_zone"));
        }
        budgetBefore = restore.toString();
    }

    /** Prints the summary and writes it next to the other simulations' reports, also when a trial failed. */
    @Override
    public void after() {
        SignalSummary.record(summary);
        String table = summary.table();
        System.out.printf("%n=== budget stop signal, campaign %d ===%n%s", campaign, table);
        Path file = Settings.reportDir().resolve("budget-exhaustion.txt");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, table, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("cannot write " + file + ": " + e);
        }
    }
}
