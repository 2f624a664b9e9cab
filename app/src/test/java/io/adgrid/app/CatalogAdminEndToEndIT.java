package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import io.adgrid.event.EventType;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.CanonicalString;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The catalog's admin API through the whole product (reporting API, PostgreSQL, the gateway's
 * incremental refresh, the grid): a campaign, banner and publisher created over HTTP start being
 * counted at the gateway's next refresh; a key added over HTTP is accepted alongside the first one;
 * once the first is retired over HTTP its beacons are refused (403) and the new key's still counted.
 * Totals are exact: every 2xx counted once, nothing refused counted.
 */
class CatalogAdminEndToEndIT {

    private static final String TOKEN = "catalog-e2e-admin-token";
    private static final int PORT = TestPorts.of(6800);
    private static final long CAMPAIGN = 500;
    private static final long BANNER = 5000;
    private static final long PUBLISHER = 177;
    private static final String LANDING = "https://shop.example.com/winter?utm_source=adgrid";
    private static final String SECRET_0 = "campaign-500-first-secret";
    private static final String SECRET_K2 = "campaign-500-rotated-secret";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedDatabase database;
    private static InProcessAdGrid app;
    private static String gateway;
    private static String reporting;
    private static final AtomicInteger nonces = new AtomicInteger();

    /** What the gateway answered 2xx for: each is a distinct event, counted once. */
    private long impressions;
    private long clicks;

    @BeforeAll
    static void startEverything() throws Exception {
        database = EmbeddedDatabase.startTemporary();
        app = InProcessAdGrid.start(database.settings(), "catalog-e2e", PORT,
                "--adgrid.gateway.catalog-refresh=200ms",
                "--adgrid.fraud.max-clicks-per-ip-per-minute=0",
                "--adgrid.admin.token=" + TOKEN);
        gateway = app.gateway;
        reporting = app.reporting;
    }

    @AfterAll
    static void stopEverything() {
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void aCampaignMadeThroughTheApiIsCountedAndItsSecretRotatesWithoutLosingACount() throws Exception {
        // Before it exists, the banner is unknown to the gateway.
        assertThat(beacon("/i", SECRET_0, null).statusCode()).isEqualTo(404);

        assertThat(admin("PUT", "/campaigns/" + CAMPAIGN, "{\"name\":\"Winter sale\",\"currency\":\"EUR\",\"secret\":\"" + SECRET_0 + "\"}")
                .statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/banners/" + BANNER, "{\"campaign\":" + CAMPAIGN + ",\"landingUrl\":\"" + LANDING + "\"}")
                .statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/publishers/" + PUBLISHER, "{\"name\":\"News site\"}").statusCode()).isEqualTo(201);

        // The gateway's next refresh brings them in: until then 404 (not counted), then 200.
        acceptedOnceRefreshed(SECRET_0, null, Set.of(404));
        Map<String, String> shown = signed(SECRET_0, null);
        assertThat(get(gateway + "/i?" + Beacons.query(shown)).statusCode()).isEqualTo(200);
        impressions++;
        HttpResponse<String> click = get(gateway + "/c?" + Beacons.query(resigned(EventType.CLICK, SECRET_0, shown)));
        assertThat(click.statusCode()).isEqualTo(302);
        assertThat(click.headers().firstValue("Location").orElse("")).startsWith(LANDING + "&agclid=");
        clicks++;

        // Rotation: a new key k2; beacons signed with it are refused as unknown_key until the refresh.
        assertThat(admin("POST", "/campaigns/" + CAMPAIGN + "/keys", "{\"kid\":\"k2\",\"secret\":\"" + SECRET_K2 + "\"}")
                .statusCode()).isEqualTo(201);
        acceptedOnceRefreshed(SECRET_K2, "k2", Set.of(403));
        // Overlap: the old key (without kid, and as kid 0) and the new one are all counted.
        expectImpression(SECRET_0, null, 200);
        expectImpression(SECRET_0, "0", 200);
        expectImpression(SECRET_K2, "k2", 200);

        // Retiring kid 0 ends the overlap: old beacons are counted until the refresh, then refused.
        HttpResponse<String> retired = admin("POST", "/campaigns/" + CAMPAIGN + "/keys/0/retire", "");
        assertThat(retired.statusCode()).isEqualTo(200);
        refusedOnceRefreshed(SECRET_0, null);
        HttpResponse<String> old = beacon("/i", SECRET_0, "0");
        assertThat(old.statusCode()).isEqualTo(403);
        assertThat(old.body()).contains("retired_key").doesNotContain(SECRET_0);
        assertThat(beacon("/c", SECRET_0, null).statusCode()).isEqualTo(403);
        expectImpression(SECRET_K2, "k2", 200);
        Map<String, String> next = signed(SECRET_K2, "k2");
        assertThat(get(gateway + "/i?" + Beacons.query(next)).statusCode()).isEqualTo(200);
        impressions++;
        assertThat(get(gateway + "/c?" + Beacons.query(resigned(EventType.CLICK, SECRET_K2, next))).statusCode()).isEqualTo(302);
        clicks++;
        // A replay is answered the same and counted once.
        assertThat(get(gateway + "/i?" + Beacons.query(next)).statusCode()).isEqualTo(200);

        // The API shows the rotation, never a secret.
        HttpResponse<String> campaign = admin("GET", "/campaigns/" + CAMPAIGN, null);
        assertThat(campaign.body()).doesNotContain(SECRET_0).doesNotContain(SECRET_K2);
        JsonNode keys = JSON.readTree(campaign.body()).get("keys");
        assertThat(keys).hasSize(2);
        assertThat(keys.get(0).get("active").asBoolean()).isFalse();
        assertThat(keys.get(1).get("kid").asText()).isEqualTo("k2");
        assertThat(keys.get(1).get("active").asBoolean()).isTrue();

        // Exact totals, live, then from PostgreSQL after a flush, by campaign, banner and publisher.
        assertThat(impressions).isGreaterThanOrEqualTo(7);
        assertTotals("live");
        assertThat(Probes.flush(reporting, TOKEN)).as("admin flush").isEqualTo(200);
        assertTotals("db");
    }

    /**
     * Contract v2 migration through the admin API: a v1 beacon is refused (403 bad_signature) under a
     * v2 key; once the key is marked legacy, a v1 impression and sale count as before and a v1 click
     * counts only as a suspect click (reason unbound_type), while the v2 click of a rendering whose
     * impression was counted is clean; unmarked, v1 is refused again.
     */
    @Test
    void aKeyMarkedLegacyAcceptsV1WithItsClicksOnlySuspectUntilUnmarked() throws Exception {
        long campaign = 501;
        long banner = 5010;
        String secret = "campaign-501-old-ad-server";
        assertThat(admin("PUT", "/campaigns/" + campaign, "{\"name\":\"Old ad server\",\"secret\":\"" + secret + "\"}").statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/banners/" + banner, "{\"campaign\":" + campaign + ",\"landingUrl\":\"" + LANDING + "\"}").statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/publishers/178", "{\"name\":\"Legacy site\"}").statusCode()).isEqualTo(201);
        long unboundBefore = suspectMetric("unbound_type");

        // A v2 impression is accepted once the catalog is refreshed; v1 is refused under a v2 key.
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, String> shown = rendering(banner, secret);
        while (get(gateway + "/i?" + Beacons.query(shown)).statusCode() != 200) {
            assertThat(System.nanoTime()).as("banner %d known within %s", banner, WAIT).isLessThan(deadline);
            pause();
            shown = rendering(banner, secret);
        }
        HttpResponse<String> v1Refused = get(gateway + "/i?" + Beacons.query(resigned(null, secret, rendering(banner, secret))));
        assertThat(v1Refused.statusCode()).isEqualTo(403);
        assertThat(v1Refused.body()).contains("bad_signature");
        // The impression URL sent as a click is refused and counts nothing.
        assertThat(get(gateway + "/c?" + Beacons.query(shown)).statusCode()).isEqualTo(403);
        assertThat(get(gateway + "/c?" + Beacons.query(resigned(EventType.CLICK, secret, shown))).statusCode()).isEqualTo(302);

        HttpResponse<String> marked = admin("PUT", "/campaigns/" + campaign + "/keys/0/legacy", null);
        assertThat(marked.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(marked.body()).get("legacy").asBoolean()).isTrue();
        Map<String, String> v1 = resigned(null, secret, rendering(banner, secret));
        while (get(gateway + "/i?" + Beacons.query(v1)).statusCode() != 200) {
            assertThat(System.nanoTime()).as("legacy within %s", WAIT).isLessThan(deadline);
            pause();
            v1 = resigned(null, secret, rendering(banner, secret));
        }
        HttpResponse<String> v1Click = get(gateway + "/c?" + Beacons.query(v1));
        assertThat(v1Click.statusCode()).isEqualTo(302);
        assertThat(v1Click.headers().firstValue("Location").orElse("")).startsWith(LANDING + "&agclid=");
        Map<String, String> v1Sale = new TreeMap<>(Map.of("b", Long.toString(banner), "p", "178", "ts", Long.toString(System.currentTimeMillis()),
                "order", "legacy-1", "amount", "3.50"));
        HttpResponse<String> sale = http.send(Beacons.request(URI.create(gateway + "/s?" + Beacons.query(resigned(null, secret, v1Sale))))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sale.statusCode()).isEqualTo(202);

        assertThat(admin("DELETE", "/campaigns/" + campaign + "/keys/0/legacy", null).statusCode()).isEqualTo(200);
        while (get(gateway + "/i?" + Beacons.query(resigned(null, secret, rendering(banner, secret)))).statusCode() != 403) {
            assertThat(System.nanoTime()).as("v2 only again within %s", WAIT).isLessThan(deadline);
            pause(); // each accepted meanwhile is one more v1 impression
        }

        String window = "&granularity=total&from=" + Instant.now().minus(Duration.ofHours(1)) + "&to=" + Instant.now().plus(Duration.ofHours(1));
        JsonNode row = JSON.readTree(get(reporting + "/api/v1/stats?publisher=178" + window).body()).get("rows").get(0);
        assertThat(row.get("impressions").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(row.get("clicks").asLong()).as("the v2 click of a counted impression: clean").isEqualTo(1);
        assertThat(row.get("suspect_clicks").asLong()).as("the v1 click: suspect").isEqualTo(1);
        assertThat(row.get("conversions").asLong()).isEqualTo(1);
        assertThat(suspectMetric("unbound_type") - unboundBefore).isEqualTo(1);
    }

    /**
     * A campaign's own click attribution set through the admin API reaches the gateway without a restart:
     * its clicks' ids go in its own parameter, and a postback meets the campaign's window as it is when the
     * postback arrives: refused (422 outside_window) under a 1-minute window five minutes after the click,
     * accepted once the window is cleared back to the deployment's 30 days; cleared, the parameter is agclid again.
     */
    @Test
    void aCampaignsOwnClickParamAndWindowReachTheGatewayWithoutARestart() throws Exception {
        long campaign = 502;
        long banner = 5020;
        String secret = "campaign-502-attribution";
        String landing = "https://shop.example.com/spring";
        assertThat(admin("PUT", "/campaigns/" + campaign, "{\"name\":\"Spring sale\",\"secret\":\"" + secret + "\"}").statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/banners/" + banner, "{\"campaign\":" + campaign + ",\"landingUrl\":\"" + landing + "\"}").statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/publishers/179", "{\"name\":\"Coupon site\"}").statusCode()).isEqualTo(201);
        HttpResponse<String> set = admin("PUT", "/campaigns/" + campaign + "/attribution", "{\"click_param\":\"sale_ref\",\"window\":\"1m\"}");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(set.body()).get("attribution").toString()).isEqualTo("{\"click_param\":\"sale_ref\",\"window\":\"1m\"}");

        // A click rendered five minutes ago (inside the ts window) redirects with its id in sale_ref once the gateway refreshed.
        long clickTs = System.currentTimeMillis() - Duration.ofMinutes(5).toMillis();
        String location = clickLocation(banner, secret, clickTs, landing + "?sale_ref=");
        assertThat(location).doesNotContain("agclid");
        String clickId = new io.netty.handler.codec.http.QueryStringDecoder(location).parameters().get("sale_ref").get(0);

        // Five minutes after its click: outside the campaign's minute, though inside the deployment's 30 days.
        HttpResponse<String> late = postback(clickId, secret, "spring-1");
        assertThat(late.statusCode()).as(late.body()).isEqualTo(422);
        assertThat(late.body()).contains("outside_window");

        // Cleared to the deployment's window (the parameter kept): the same postback counts from the next refresh.
        assertThat(admin("PUT", "/campaigns/" + campaign + "/attribution", "{\"click_param\":\"sale_ref\"}").statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> sale = postback(clickId, secret, "spring-1");
        while (sale.statusCode() == 422) {
            assertThat(sale.body()).contains("outside_window");
            assertThat(System.nanoTime()).as("the deployment's window within %s", WAIT).isLessThan(deadline);
            pause();
            sale = postback(clickId, secret, "spring-1");
        }
        assertThat(sale.statusCode()).as(sale.body()).isEqualTo(202);
        assertThat(sale.body()).contains("\"duplicate\":false");

        // Both cleared: its clicks' ids go in the deployment's agclid again.
        assertThat(admin("PUT", "/campaigns/" + campaign + "/attribution", "{}").statusCode()).isEqualTo(200);
        clickLocation(banner, secret, System.currentTimeMillis(), landing + "?agclid=");

        String window = "&granularity=total&from=" + Instant.now().minus(Duration.ofHours(1)) + "&to=" + Instant.now().plus(Duration.ofHours(1));
        JsonNode row = JSON.readTree(get(reporting + "/api/v1/stats?banner=" + banner + window).body()).get("rows").get(0);
        assertThat(row.get("conversions").asLong()).as("the refused postback not counted, the accepted one once").isEqualTo(1);
        assertThat(row.get("revenue").asText()).isEqualTo("12.50");
    }

    /** Clicks (fresh renderings at {@code ts}) on banner by publisher 179 until the redirect starts with {@code expected}; its Location. */
    private static String clickLocation(long banner, String secret, long ts, String expected) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            TreeMap<String, String> params = new TreeMap<>(Map.of("b", Long.toString(banner), "p", "179", "ts", Long.toString(ts),
                    "n", "attribution-" + nonces.incrementAndGet()));
            HttpResponse<String> click = get(gateway + "/c?" + Beacons.query(resigned(EventType.CLICK, secret, params)));
            String location = click.headers().firstValue("Location").orElse("");
            if (click.statusCode() == 302 && location.startsWith(expected)) {
                return location;
            }
            assertThat(click.statusCode()).as("before the refresh: unknown banner, or the old parameter").isIn(302, 404);
            assertThat(System.nanoTime()).as("%s within %s", expected, WAIT).isLessThan(deadline);
            pause();
        }
    }

    /** {@code POST /s click=…} as the advertiser's server sends it, signed with the campaign's key, 12.50 now. */
    private static HttpResponse<String> postback(String clickId, String secret, String order) throws Exception {
        TreeMap<String, String> params = new TreeMap<>(Map.of("click", clickId, "ts", Long.toString(System.currentTimeMillis()),
                "order", order, "amount", "12.50"));
        return http.send(HttpRequest.newBuilder(URI.create(gateway + "/s?" + Beacons.query(resigned(EventType.SALE, secret, params))))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> rendering(long banner, String secret) {
        TreeMap<String, String> params = new TreeMap<>(Map.of("b", Long.toString(banner), "p", "178",
                "ts", Long.toString(System.currentTimeMillis()), "n", "legacy-" + nonces.incrementAndGet()));
        return resigned(EventType.IMPRESSION, secret, params);
    }

    private static long suspectMetric(String reason) {
        String body = get(reporting + "/actuator/prometheus").body();
        return body.lines().filter(l -> l.startsWith("adgrid_gateway_suspect_clicks_total{") && l.contains("reason=\"" + reason + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0L);
    }

    /** Sends fresh beacons signed with the key until one is accepted; the earlier ones must be refused with one of {@code before}. */
    private void acceptedOnceRefreshed(String secret, String kid, Set<Integer> before) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            int status = beacon("/i", secret, kid).statusCode();
            if (status == 200) {
                impressions++;
                return;
            }
            assertThat(before).as("status before the refresh").contains(status);
            assertThat(System.nanoTime()).as("accepted within %s", WAIT).isLessThan(deadline);
            pause();
        }
    }

    /** Sends fresh beacons signed with the retired key until one is refused (403); those still accepted are counted. */
    private void refusedOnceRefreshed(String secret, String kid) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            int status = beacon("/i", secret, kid).statusCode();
            if (status == 403) {
                return;
            }
            assertThat(status).as("status before the refresh").isEqualTo(200);
            impressions++;
            assertThat(System.nanoTime()).as("refused within %s", WAIT).isLessThan(deadline);
            pause();
        }
    }

    private void expectImpression(String secret, String kid, int status) {
        assertThat(beacon("/i", secret, kid).statusCode()).as("kid %s", kid).isEqualTo(status);
        if (status == 200) {
            impressions++;
        }
    }

    private void assertTotals(String source) throws Exception {
        String window = "&granularity=total&source=" + source + "&from=" + Instant.now().minus(Duration.ofHours(1))
                + "&to=" + Instant.now().plus(Duration.ofHours(1));
        for (String selection : new String[] {"campaign=" + CAMPAIGN, "banner=" + BANNER, "publisher=" + PUBLISHER}) {
            HttpResponse<String> r = get(reporting + "/api/v1/stats?" + selection + window);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode row = JSON.readTree(r.body()).get("rows").get(0);
            assertThat(row.get("impressions").asLong()).as("impressions of %s (%s)", selection, source).isEqualTo(impressions);
            assertThat(row.get("clicks").asLong()).as("clicks of %s (%s)", selection, source).isEqualTo(clicks);
            assertThat(row.get("suspect_clicks").asLong()).as("suspect clicks of %s (%s)", selection, source).isZero();
        }
    }

    private static Map<String, String> signed(String secret, String kid) {
        TreeMap<String, String> params = new TreeMap<>(Map.of("b", Long.toString(BANNER), "p", Long.toString(PUBLISHER),
                "ts", Long.toString(System.currentTimeMillis()), "n", "e2e-" + nonces.incrementAndGet()));
        if (kid != null) {
            params.put("kid", kid);
        }
        params.put(CanonicalString.SIGNATURE_PARAM, BeaconSigner.sign(BeaconSigner.key(secret), EventType.IMPRESSION, params));
        return params;
    }

    @Test
    void aBudgetSetIsInThePacingListAtOnceAndItsRemovalToo() throws Exception {
        long campaign = 503;
        assertThat(admin("PUT", "/campaigns/" + campaign, "{\"name\":\"Paced\",\"currency\":\"EUR\",\"secret\":\"" + SECRET_0 + "\"}")
                .statusCode()).isEqualTo(201);
        for (int round = 0; round < 5; round++) {
            assertThat(admin("PUT", "/campaigns/" + campaign + "/budget", "{\"daily_micros\":5000000,\"time_zone\":\"UTC\"}")
                    .statusCode()).isEqualTo(200);
            // read your write: the very next read of this process's pacing list knows the budget (the README does this)
            assertThat(JSON.readTree(get(reporting + "/api/v1/pacing").body()).at("/campaigns").findValuesAsText("campaign"))
                    .as("round " + round + ": the list right after the budget was set").contains(String.valueOf(campaign));
            assertThat(admin("PUT", "/campaigns/" + campaign + "/budget", "{\"daily_micros\":null,\"total_micros\":null}")
                    .statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(get(reporting + "/api/v1/pacing").body()).at("/campaigns").findValuesAsText("campaign"))
                    .as("round " + round + ": the list right after the budget was removed").doesNotContain(String.valueOf(campaign));
        }
    }

    /** The same rendering signed for another type (v2), or with the v1 string when {@code type} is null. */
    private static Map<String, String> resigned(EventType type, String secret, Map<String, String> params) {
        TreeMap<String, String> out = new TreeMap<>(params);
        out.remove(CanonicalString.SIGNATURE_PARAM);
        out.put(CanonicalString.SIGNATURE_PARAM, type == null ? BeaconSigner.signV1(BeaconSigner.key(secret), out)
                : BeaconSigner.sign(BeaconSigner.key(secret), type, out));
        return out;
    }

    private static HttpResponse<String> beacon(String path, String secret, String kid) {
        return get(gateway + path + "?" + Beacons.query(signed(secret, kid)));
    }

    private static HttpResponse<String> admin(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = Beacons.request(URI.create(reporting + "/api/v1/admin/catalog" + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).doesNotContain(SECRET_0).doesNotContain(SECRET_K2);
        return r;
    }

    private static HttpResponse<String> get(String url) {
        try {
            return http.send(Beacons.request(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(url, e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
