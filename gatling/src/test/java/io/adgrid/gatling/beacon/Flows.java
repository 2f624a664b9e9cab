package io.adgrid.gatling.beacon;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.uniformRandomSwitch;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import io.adgrid.gatling.beacon.Attempt.Shape;
import io.adgrid.gatling.exactness.Ledger;
import io.adgrid.gatling.saturation.LoadLevels;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

/**
 * The traffic the simulations are made of: page views (impression, sometimes a click on it, sometimes a sale
 * after the click), sales postbacks with retries and races, and hostile requests. Every request goes through
 * {@link #send}: an {@link Attempt} is put in the session, Gatling's checks judge the answer against it, and a
 * final step books what got no definite answer for the settle step (and feeds the load levels, if any).
 */
public final class Flows {

    private static final String ATTEMPT = "attempt";

    private final Renderer renderer;
    private final Catalog catalog;
    private final Ledger ledger;
    private final LoadLevels levels;
    private final boolean sheddingAllowed;

    /**
     * @param levels          per-level statistics to feed, or null
     * @param sheddingAllowed true when a 503 is a legitimate answer (saturation runs): it is then not a failed request
     */
    public Flows(Renderer renderer, Ledger ledger, LoadLevels levels, boolean sheddingAllowed) {
        this.renderer = renderer;
        this.catalog = renderer.catalog();
        this.ledger = ledger;
        this.levels = levels;
        this.sheddingAllowed = sheddingAllowed;
    }

    /**
     * Shares of a page view.
     *
     * @param replay          an impression pixel requested twice (a reload): answered alike, counted once
     * @param click           a view clicked (its click carries the impression's b, p, ts and n)
     * @param saleAfterClick  a click followed by a sale
     * @param thinkMillis     up to this long between impression, click and sale
     */
    public record Mix(double replay, double click, double saleAfterClick, long thinkMillis) {

        /** 90 % impressions, 9 % clicks, 1 % sales of the requests, plus 2 % of impressions reloaded. */
        public static Mix realistic(long thinkMillis) {
            return new Mix(0.02, 0.1, 1.0 / 9, thinkMillis);
        }

        public double requestsPerView() {
            return 1 + replay + click + click * saleAfterClick;
        }
    }

    // ---------------------------------------------------------------- page views

    /** A realistic view of a popular banner. */
    public ChainBuilder pageView(Mix mix) {
        return pageView(mix, renderer::popularView);
    }

    public ChainBuilder pageView(Mix mix, Supplier<View> views) {
        return exec(s -> {
            View v = views.get();
            return s.set("view", v).set("impression", renderer.impression(v));
        })
                .exec(send("impression", Shape.GET, s -> counted(s.get("impression"))))
                .doIf(s -> chance(mix.replay())).then(
                        send("impression replay", Shape.GET, s -> counted(s.get("impression"))))
                .doIf(s -> chance(mix.click())).then(
                        think(mix.thinkMillis())
                                .exec(s -> s.set("click", renderer.click(s.get("view"))))
                                .exec(send("click", Shape.GET, s -> counted(s.get("click"))))
                                .doIf(s -> chance(mix.saleAfterClick())).then(
                                        think(mix.thinkMillis())
                                                .exec(s -> s.set("sale", renderer.sale((View) s.get("view"))))
                                                .exec(send("sale", Shape.FORM, s -> counted(s.get("sale"))))));
    }

    // ---------------------------------------------------------------- sales postbacks

    /**
     * Server-to-server sales postbacks. A share of them is retried like an ad server whose answer got lost:
     * the same request again, then re-signed later as JSON (must be 200 duplicate, never a second 202); another
     * share is posted twice at the same moment (two ad-server instances): exactly one 202 per order.
     */
    public ChainBuilder salesPostback(double retryShare, double raceShare) {
        ChainBuilder retried = pause(Duration.ofMillis(20), Duration.ofMillis(300))
                .exec(send("postback retry", Shape.FORM, s -> retryOf(s.get("sale"), Shape.FORM, ((Event) s.get("sale")).params)))
                .doIf(s -> chance(0.5)).then(
                        send("postback retry re-signed (JSON)", Shape.JSON,
                                s -> retryOf(s.get("sale"), Shape.JSON, renderer.resigned(s.get("sale")))));
        ChainBuilder single = exec(s -> s.set("sale", renderer.sale(renderer.popularView())))
                .exec(send("postback", Shape.FORM, s -> counted(s.get("sale"))))
                .doIf(s -> chance(retryShare)).then(retried);
        ChainBuilder race = exec(s -> {
            Event sale = renderer.sale(renderer.popularView());
            return s.set("raceA", counted(sale).begin()).set("raceB", counted(sale).begin());
        })
                .exec(http("postback race (healthz)").get("/healthz").check(status().is(200))
                        .resources(request("postback race", Shape.FORM, "raceA"), request("postback race", Shape.FORM, "raceB")))
                .exec(s -> {
                    done(s.get("raceA"));
                    done(s.get("raceB"));
                    return s;
                });
        return randomSwitch().on(percent(raceShare * 100).then(race), percent((1 - raceShare) * 100).then(single));
    }

    /** Requests per postback flow, on average. */
    public static double requestsPerPostback(double retryShare, double raceShare) {
        return raceShare * 3 + (1 - raceShare) * (1 + retryShare * 1.5);
    }

    // ---------------------------------------------------------------- hostile traffic

    /** One hostile request or replay chain, uniformly at random among {@link #hostileChains()}. */
    public ChainBuilder hostileRandom() {
        return uniformRandomSwitch().on(hostileChains());
    }

    /** Every hostile request and replay once, one after the other. */
    public ChainBuilder hostileCatalogue() {
        ChainBuilder all = exec(s -> s);
        for (ChainBuilder c : hostileChains()) {
            all = all.exec(c);
        }
        return all;
    }

    /** Tampered, forged, stale, malformed requests (each its exact 4xx, never counted) and genuine replays (counted once). */
    public List<ChainBuilder> hostileChains() {
        List<ChainBuilder> out = new ArrayList<>();
        out.add(hostile("tampered banner (403)", Shape.GET, EventType.IMPRESSION, 403, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("b", Long.toString(catalog.otherBannerOfSameCampaign(v.banner())));
            return q;
        }));
        out.add(hostile("tampered publisher (403)", Shape.GET, EventType.CLICK, 403, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("p", Long.toString(v.publisher() % catalog.publishers() + 1));
            q.put("ts", Long.toString(v.ts() - (catalog.publishers() == 1 ? 1 : 0)));
            return q;
        }));
        out.add(hostile("tampered ts (403)", Shape.GET, EventType.IMPRESSION, 403, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("ts", Long.toString(v.ts() - 1));
            return q;
        }));
        out.add(hostile("signed with another campaign's secret (403)", Shape.GET, EventType.IMPRESSION, 403, v -> {
            long other = catalog.otherCampaign(v.campaign());
            Map<String, String> q = other != v.campaign() ? renderer.signed(other, EventType.IMPRESSION, beaconParams(v))
                    : Signer.signed(Signer.key("not-the-secret"), EventType.IMPRESSION.path, beaconParams(v));
            return new LinkedHashMap<>(q);
        }));
        out.add(hostile("truncated sig (400)", Shape.GET, EventType.IMPRESSION, 400, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("sig", q.get("sig").substring(0, 42));
            return q;
        }));
        out.add(hostile("missing sig (400)", Shape.GET, EventType.IMPRESSION, 400, v -> beaconParams(v)));
        out.add(hostile("malformed banner id (400)", Shape.GET, EventType.IMPRESSION, 400, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("b", "b" + v.banner());
            return q;
        }));
        out.add(hostile("bad nonce (400)", Shape.GET, EventType.IMPRESSION, 400, v -> {
            Map<String, String> q = beaconParams(v);
            q.put("n", v.nonce() + "!");
            return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.IMPRESSION, q));
        }));
        out.add(hostile("unsigned extra parameter (400)", Shape.GET, EventType.IMPRESSION, 400, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("cb", "123");
            return q;
        }));
        out.add(hostile("impression URL sent as a click (403)", Shape.GET, EventType.CLICK, 403, v -> signedBeacon(v)));
        out.add(hostile("click URL sent as an impression (403)", Shape.GET, EventType.IMPRESSION, 403,
                v -> new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.CLICK, beaconParams(v)))));
        out.add(hostile("v1 signature, no type path (403)", Shape.GET, EventType.IMPRESSION, 403,
                v -> new LinkedHashMap<>(Signer.signedV1(catalog.keyOf(v.campaign()), beaconParams(v)))));
        out.add(hostile("click with a redirect target (400)", Shape.GET, EventType.CLICK, 400, v -> {
            Map<String, String> q = signedBeacon(v);
            q.put("url", "https://evil.example/phish");
            return q;
        }));
        out.add(hostile("unknown banner (404)", Shape.GET, EventType.IMPRESSION, 404, v -> {
            Map<String, String> q = beaconParams(v);
            q.put("b", Long.toString(catalog.unknownBanner()));
            return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.IMPRESSION, q));
        }));
        out.add(hostile("unknown publisher (404)", Shape.GET, EventType.IMPRESSION, 404, v -> {
            Map<String, String> q = beaconParams(v);
            q.put("p", Long.toString(1_000_000_007L + catalog.publishers()));
            return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.IMPRESSION, q));
        }));
        out.add(hostile("stale ts (422)", Shape.GET, EventType.IMPRESSION, 422, v -> {
            Map<String, String> q = beaconParams(v);
            q.put("ts", Long.toString(v.ts() - Duration.ofHours(2).toMillis()));
            return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.IMPRESSION, q));
        }));
        out.add(hostile("future ts (422)", Shape.GET, EventType.CLICK, 422, v -> {
            Map<String, String> q = beaconParams(v);
            q.put("ts", Long.toString(v.ts() + Duration.ofHours(1).toMillis()));
            return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.CLICK, q));
        }));
        out.add(hostile("impression by POST (405)", Shape.POST_QUERY, EventType.IMPRESSION, 405, v -> signedBeacon(v)));
        out.add(hostile("sale with a negative amount (422)", Shape.FORM, EventType.SALE, 422, v -> signedSale(v, "-5.00")));
        out.add(hostile("sale with 7 decimals (422)", Shape.FORM, EventType.SALE, 422, v -> signedSale(v, "1.0000001")));
        out.add(hostile("sale with a tampered amount (403)", Shape.FORM, EventType.SALE, 403, v -> {
            Map<String, String> q = signedSale(v, "10.00");
            q.put("amount", "1000.00");
            return q;
        }));

        // Replays of genuine beacons: answered like the original, counted once.
        out.add(exec(s -> {
            View v = renderer.popularView();
            return s.set("view", v).set("impression", renderer.impression(v));
        })
                .exec(send("replayed impression: original", Shape.GET, s -> counted(s.get("impression"))))
                .repeat(2).on(send("replayed impression: replay (200, counted once)", Shape.GET, s -> counted(s.get("impression")))));
        out.add(exec(s -> s.set("click", renderer.click(renderer.popularView())))
                .exec(send("replayed click: original", Shape.GET, s -> counted(s.get("click"))))
                .repeat(2).on(send("replayed click: replay (302, counted once)", Shape.GET, s -> counted(s.get("click")))));
        out.add(exec(s -> s.set("sale", renderer.sale(renderer.popularView())))
                .exec(send("replayed sale: original", Shape.FORM, s -> counted(s.get("sale"))))
                .exec(send("replayed sale: replay (200 duplicate)", Shape.FORM,
                        s -> retryOf(s.get("sale"), Shape.FORM, ((Event) s.get("sale")).params))));
        return out;
    }

    /** Requests per hostile chain, on average. */
    public double requestsPerHostileChain() {
        List<ChainBuilder> chains = hostileChains();
        return (chains.size() - 3 + 3 + 3 + 2) / (double) chains.size();
    }

    /** A hostile request built from a fresh view: expects exactly {@code status}, carries no event. */
    private ChainBuilder hostile(String name, Shape shape, EventType type, int status, Function<View, Map<String, String>> params) {
        return send(name, shape, s -> new Attempt(null, type.path, shape, params.apply(renderer.popularView()), Expect.reject(status),
                ledger, null, false));
    }

    private Map<String, String> beaconParams(View v) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", Long.toString(v.banner()));
        p.put("p", Long.toString(v.publisher()));
        p.put("ts", Long.toString(v.ts()));
        p.put("n", v.nonce());
        return p;
    }

    private Map<String, String> signedBeacon(View v) {
        return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.IMPRESSION, beaconParams(v)));
    }

    private Map<String, String> signedSale(View v, String amount) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", Long.toString(v.banner()));
        p.put("p", Long.toString(v.publisher()));
        p.put("order", renderer.orderId());
        p.put("amount", new BigDecimal(amount).toPlainString());
        p.put("ts", Long.toString(v.ts()));
        return new LinkedHashMap<>(renderer.signed(v.campaign(), EventType.SALE, p));
    }

    // ---------------------------------------------------------------- requests

    /** A genuine event's request: its success answer, counted once. */
    public Attempt counted(Event e) {
        return new Attempt(e, e.type.path, shapeOf(e), e.params, Expect.count(), ledger, landingOf(e), sheddingAllowed);
    }

    /** A re-post of a sale, as sent ({@code params}: the original or re-signed). */
    private Attempt retryOf(Event sale, Shape shape, Map<String, String> params) {
        return new Attempt(sale, sale.type.path, shape, params, Expect.retryOf(sale), ledger, null, sheddingAllowed);
    }

    private static Shape shapeOf(Event e) {
        return e.type == EventType.SALE ? Shape.FORM : Shape.GET;
    }

    private String landingOf(Event e) {
        return e.type == EventType.CLICK ? catalog.landingOf(e.banner) : null;
    }

    /** Sends one request: the attempt is made when the user reaches this step. */
    public ChainBuilder send(String name, Shape shape, Function<Session, Attempt> attempt) {
        return exec(s -> {
            Attempt a = attempt.apply(s).begin();
            if (levels != null) {
                levels.sending(a);
            }
            return s.set(ATTEMPT, a);
        })
                .exec(request(name, shape, ATTEMPT))
                .exec(s -> {
                    done(s.get(ATTEMPT));
                    return s;
                });
    }

    private void done(Attempt a) {
        a.finish();
        if (levels != null) {
            levels.record(a);
        }
    }

    /** The HTTP request of the attempt stored under {@code key}, with the checks that judge its answer. */
    private HttpRequestActionBuilder request(String name, Shape shape, String key) {
        HttpRequestActionBuilder r = switch (shape) {
            case GET -> http(name).get(s -> attempt(s, key).url());
            case POST_QUERY -> http(name).post(s -> attempt(s, key).url());
            case FORM -> http(name).post(s -> attempt(s, key).url())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(StringBody(s -> attempt(s, key).formBody()));
            case JSON -> http(name).post(s -> attempt(s, key).url())
                    .header("Content-Type", "application/json")
                    .body(StringBody(s -> attempt(s, key).jsonBody()));
        };
        // Gatling runs checks by scope (status, then headers, then body), so the verdict goes last, on the body.
        List<CheckBuilder> checks = new ArrayList<>();
        checks.add(status().validate("status", (st, s) -> {
            attempt(s, key).answered(st);
            return st;
        }));
        checks.add(responseTimeInMillis().validate("latency", (ms, s) -> {
            attempt(s, key).latency(ms);
            return ms;
        }));
        if (shape == Shape.GET) {
            checks.add(header("Location").withDefault("").validate("location", (loc, s) -> {
                attempt(s, key).location(loc);
                return loc;
            }));
        }
        checks.add(bodyString().withDefault("").validate("answer", (body, s) -> {
            Attempt a = attempt(s, key);
            a.body(body);
            a.verify();
            return body;
        }));
        return r.check(checks.toArray(CheckBuilder[]::new));
    }

    private static Attempt attempt(Session s, String key) {
        return s.get(key);
    }

    private static boolean chance(double p) {
        return p > 0 && ThreadLocalRandom.current().nextDouble() < p;
    }

    private static ChainBuilder think(long maxMillis) {
        return maxMillis <= 0 ? exec(s -> s) : pause(Duration.ZERO, Duration.ofMillis(maxMillis));
    }
}
