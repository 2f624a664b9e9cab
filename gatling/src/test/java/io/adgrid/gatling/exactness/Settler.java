package io.adgrid.gatling.exactness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import io.adgrid.gatling.beacon.Event;
import io.adgrid.gatling.beacon.EventType;
import io.adgrid.gatling.beacon.Signer;

/**
 * After the load: re-sends every event whose requests got no definite answer (timeout, 5xx, 503 shed) until
 * one does. The gateway deduplicates, so a re-send is counted only if no earlier request was (CONTRACT:
 * "not double counted when a request is retried"); a 2xx then books the event exactly once, and the
 * exactness check stays exact even after a saturation run. Plain HTTP, outside Gatling's statistics.
 */
public final class Settler {

    private static final Pattern DUPLICATE = Pattern.compile("\"duplicate\"\\s*:\\s*true");
    private static final int MAX_TRIES = 20;

    private final String gatewayUrl;
    private final Ledger ledger;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    public Settler(String gatewayUrl, Ledger ledger) {
        this.gatewayUrl = gatewayUrl;
        this.ledger = ledger;
    }

    /** @return how many events were re-sent */
    public int settle() {
        List<Event> open = ledger.unresolved();
        for (Event e : open) {
            resend(e);
        }
        return open.size();
    }

    private void resend(Event e) {
        String last = "no answer";
        for (int i = 0; i < MAX_TRIES; i++) {
            try {
                HttpResponse<String> r = http.send(request(e), HttpResponse.BodyHandlers.ofString());
                int s = r.statusCode();
                if (e.type == EventType.SALE && (s == 202 || (s == 200 && DUPLICATE.matcher(r.body()).find()))) {
                    ledger.accept(e);
                    if (s == 202 && e.created() > 1) {
                        ledger.violation(e.id() + " was answered 202 twice (counted twice)");
                    }
                    return;
                }
                if (e.type != EventType.SALE && s == e.type.success) {
                    ledger.accept(e);
                    return;
                }
                last = "answered " + s;
                if (s >= 400 && s < 500) {
                    break; // definite, but it says nothing about whether the lost request counted
                }
            } catch (IOException ex) {
                last = ex.toString();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                last = "interrupted";
                break;
            }
            sleep(250);
        }
        ledger.undetermined(e, "re-sent after the run, " + last);
    }

    private HttpRequest request(Event e) {
        String query = Signer.urlEncoded(e.params);
        HttpRequest.Builder b = HttpRequest.newBuilder().timeout(Duration.ofSeconds(10));
        if (e.type == EventType.SALE) {
            return b.uri(URI.create(gatewayUrl + e.type.path)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(query)).build();
        }
        return b.uri(URI.create(gatewayUrl + e.type.path + "?" + query)).GET().build();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
