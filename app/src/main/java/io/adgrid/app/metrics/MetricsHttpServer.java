package io.adgrid.app.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /actuator/prometheus} and {@code /actuator/health} for the processes that have no
 * reporting port ({@code ./adgrid node}, {@code ./adgrid gateway}): a small JDK HTTP server on the
 * first free port from the configured one, so several processes on one host each get their own.
 */
public final class MetricsHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MetricsHttpServer.class);
    static final int PORTS_TRIED = 100;

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** A health answer: HTTP status and JSON body. */
    public record HealthAnswer(int status, String json) {
    }

    /**
     * @param health answers {@code /actuator/health} (argument null) and its groups
     *               ({@code /actuator/health/readiness}: "readiness"); null when there is no such group
     */
    public static MetricsHttpServer start(String host, int firstPort, PrometheusMeterRegistry registry,
                                          Function<String, HealthAnswer> health) {
        HttpServer server = bind(host, firstPort);
        server.createContext("/actuator/prometheus", exchange -> {
            if (!allowed(exchange)) {
                return;
            }
            answer(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
        });
        server.createContext("/actuator/health", exchange -> {
            if (!allowed(exchange)) {
                return;
            }
            String path = exchange.getRequestURI().getPath().replaceAll("/+$", "");
            String group = path.equals("/actuator/health") ? null
                    : path.startsWith("/actuator/health/") ? path.substring("/actuator/health/".length()) : "";
            HealthAnswer h = health.apply(group);
            if (h == null) {
                answer(exchange, 404, "application/json", "{\"status\":404,\"error\":\"not_found\",\"reason\":\"no health group " + group.replaceAll("[^A-Za-z0-9_-]", "") + "\"}");
                return;
            }
            answer(exchange, h.status(), "application/json", h.json());
        });
        server.createContext("/", exchange -> answer(exchange, 404, "application/json",
                "{\"status\":404,\"error\":\"not_found\",\"reason\":\"this port serves /actuator/prometheus and /actuator/health (/liveness, /readiness)\"}"));
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "adgrid-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        log.info("metrics on http://localhost:{}/actuator/prometheus", server.getAddress().getPort());
        return new MetricsHttpServer(server, executor);
    }

    private static HttpServer bind(String host, int firstPort) {
        int tries = firstPort == 0 ? 1 : PORTS_TRIED;
        IOException lastFailure = null;
        for (int i = 0; i < tries; i++) {
            try {
                return HttpServer.create(new InetSocketAddress(host, firstPort + i), 16);
            } catch (BindException e) {
                lastFailure = e; // taken by another AdGrid process on this host: try the next port
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the metrics port " + (firstPort + i), e);
            }
        }
        throw new UncheckedIOException("no free metrics port in " + firstPort + ".." + (firstPort + tries - 1), lastFailure);
    }

    private static boolean allowed(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        answer(exchange, 405, "application/json", "{\"status\":405,\"error\":\"method_not_allowed\"}");
        return false;
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
