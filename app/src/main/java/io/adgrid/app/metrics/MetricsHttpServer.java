package io.adgrid.app.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
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

    public static MetricsHttpServer start(String host, int firstPort, PrometheusMeterRegistry registry, BooleanSupplier up) {
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
            boolean ok = up.getAsBoolean();
            answer(exchange, ok ? 200 : 503, "application/json", ok ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
        });
        server.createContext("/", exchange -> answer(exchange, 404, "application/json",
                "{\"status\":404,\"error\":\"not_found\",\"reason\":\"this port serves /actuator/prometheus and /actuator/health\"}"));
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
