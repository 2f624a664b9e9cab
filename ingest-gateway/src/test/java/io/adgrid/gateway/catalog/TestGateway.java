package io.adgrid.gateway.catalog;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import io.adgrid.gateway.batching.GridBatcher;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.persister.catalog.JdbcCatalogSource;
import io.adgrid.signing.BeaconSigner;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * A whole gateway for catalog tests, wired as the app wires it: the off-heap catalog (files in
 * {@code catalogDir}) refreshed from PostgreSQL, validation, batching into a real grid and the
 * Netty server on a free port; plus an HTTP client that sends signed beacons to it.
 */
final class TestGateway implements AutoCloseable {

    final CatalogCache catalog;
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final GridBatcher batcher;
    private final GatewayServer server;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestGateway(Path catalogDir, CatalogLimits limits, DataSource db, HazelcastInstance grid, Duration refresh) {
        catalog = new CatalogCache(CatalogStore.open(catalogDir, limits), new JdbcCatalogSource(db), metrics).start(refresh);
        batcher = new GridBatcher(grid, GridBatcher.Settings.defaults(), Clock.systemUTC(), metrics);
        BeaconValidator validator = new BeaconValidator(catalog.view(), Clock.systemUTC(), ValidationSettings.defaults());
        BeaconService service = new BeaconService(validator, batcher, catalog::isLoaded, metrics);
        server = GatewayServer.start("127.0.0.1", 0, 1, GatewayServer.Limits.defaults(), service);
    }

    static TestGateway start(Path catalogDir, CatalogLimits limits, DataSource db, HazelcastInstance grid, Duration refresh) {
        return new TestGateway(catalogDir, limits, db, grid, refresh);
    }

    /** Impression parameters b, p, ts (now), n, and kid when not null; unsigned. */
    static Map<String, String> impression(long banner, long publisher, String nonce, String kid) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", Long.toString(banner));
        p.put("p", Long.toString(publisher));
        p.put("ts", Long.toString(System.currentTimeMillis()));
        p.put("n", nonce);
        if (kid != null) {
            p.put("kid", kid);
        }
        return p;
    }

    /** Signed (v2) as a click. */
    static Map<String, String> signedClick(String secret, Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.put("sig", BeaconSigner.sign(BeaconSigner.key(secret), io.adgrid.event.EventType.CLICK, params));
        return out;
    }

    /** Signed (v2) as an impression, or as a sale when it has an order. */
    static Map<String, String> signed(String secret, Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.put("sig", BeaconSigner.sign(BeaconSigner.key(secret), params.containsKey("order") ? io.adgrid.event.EventType.SALE
                : io.adgrid.event.EventType.IMPRESSION, params));
        return out;
    }

    /** GETs {@code path?params}; the answer's status and body. */
    HttpResponse<String> get(String path, Map<String, String> params) throws IOException, InterruptedException {
        StringBuilder uri = new StringBuilder("http://127.0.0.1:" + server.port() + path + "?");
        params.forEach((k, v) -> uri.append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
        uri.setLength(uri.length() - 1);
        return http.send(HttpRequest.newBuilder(URI.create(uri.toString())).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a form to {@code path}. */
    HttpResponse<String> postForm(String path, Map<String, String> params) throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder();
        params.forEach((k, v) -> body.append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
        body.setLength(body.length() - 1);
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs an NDJSON body to {@code /events}, with {@code X-AdGrid-Signature: signature} when it is not null. */
    HttpResponse<String> postEvents(String body, String signature) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/events"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (signature != null) {
            r.header(io.adgrid.signing.RequestSignature.HEADER, signature);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    double refreshFailures(String reason) {
        return metrics.get("adgrid.catalog.refresh.failures").tag("reason", reason).counter().count();
    }

    @Override
    public void close() {
        server.close();
        batcher.close();
        catalog.close();
    }
}
