package io.adgrid.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients of the fault tests: each sends distinct signed impressions to a gateway and retries each
 * (the same URL) until it gets a 2xx, as the contract lets clients do; so every impression they
 * count as sent must be counted exactly once.
 */
final class RetryingClients {

    private final String gateway;
    private final String tag;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService threads;
    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong retriedWithRetryAfter = new AtomicLong();
    private final AtomicLong noAnswer = new AtomicLong();
    private final AtomicLong mostRetriesOfOneEvent = new AtomicLong();
    private final Map<String, AtomicLong> otherAnswers = new ConcurrentHashMap<>();
    /** The query of every impression answered 2xx, in the order of the answers (a test may send them again). */
    private final java.util.Queue<String> acknowledged = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean sending = true;

    /** Starts {@code clients} clients; {@code tag} makes their nonces unique to the test. */
    RetryingClients(String gateway, int clients, String tag) {
        this.gateway = gateway;
        this.tag = tag;
        this.threads = Executors.newFixedThreadPool(clients);
        for (int t = 0; t < clients; t++) {
            int client = t;
            running.add(threads.submit(() -> send(client)));
        }
    }

    /** Impressions answered 2xx so far. */
    long sent() {
        return sent.get();
    }

    /** The queries ({@code b=…&sig=…}) of the impressions answered 2xx so far. */
    List<String> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** Answers that were a 503 with Retry-After (each retried). */
    long retriedWithRetryAfter() {
        return retriedWithRetryAfter.get();
    }

    /** Requests without an answer: connection refused or reset, timeout (each retried). */
    long noAnswer() {
        return noAnswer.get();
    }

    long mostRetriesOfOneEvent() {
        return mostRetriesOfOneEvent.get();
    }

    /** Answers other than 2xx and 503 with Retry-After, by status. */
    Map<String, AtomicLong> otherAnswers() {
        return otherAnswers;
    }

    /** Lets each client finish the impression it is sending (until its 2xx), then stops. */
    void stop() throws Exception {
        sending = false;
        for (Future<?> f : running) {
            f.get(120, TimeUnit.SECONDS);
        }
        threads.shutdown();
    }

    /** Stops without waiting (after a failed test). */
    void abandon() {
        sending = false;
        threads.shutdownNow();
    }

    private void send(int client) {
        for (long i = 0; sending; i++) {
            String query = Beacons.beacon(1 + (client * 167 + i) % 1000, 1 + i % 100,
                    System.currentTimeMillis(), tag + "-" + client + "-" + i);
            String url = gateway + "/i?" + query;
            long retries = 0;
            while (!answeredOk(url)) {
                retries++;
                pause(200);
            }
            mostRetriesOfOneEvent.accumulateAndGet(retries, Math::max);
            acknowledged.add(query);
            sent.incrementAndGet();
            pause(5);
        }
    }

    private boolean answeredOk(String url) {
        try {
            HttpResponse<Void> r = http.send(Beacons.request(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) {
                return true;
            }
            if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
                retriedWithRetryAfter.incrementAndGet();
            } else {
                String what = r.statusCode() + (r.headers().firstValue("Retry-After").isPresent() ? " with" : " without") + " Retry-After";
                otherAnswers.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            noAnswer.incrementAndGet();
            return false;
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
