package io.adgrid.faults;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.event.EventType;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.CanonicalString;

/**
 * Retrying clients of the demo catalog, as ad servers and browsers would be: impressions (GET /i)
 * and the clean click of an acknowledged impression (GET /c, same signed rendering), suspect
 * clicks (a click whose impression was never sent), sales (POST /s, some re-posted once
 * acknowledged), and POST /events batches of all of them (some replayed whole once acknowledged).
 * A request without a 2xx is retried, to either gateway, until acknowledged; a few single beacons
 * refused with 503 are given up instead, so that "refused is never counted" is tested too. Every
 * request's outcome goes to the {@link History}. Beacons are signed with the signer in common.
 */
final class Workload {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Banners 1..BANNERS of the demo catalog (campaign (b-1) % 10 + 1) and publishers 1..PUBLISHERS: many events per key. */
    static final int BANNERS = 100;
    static final int PUBLISHERS = 20;

    private final List<String> gateways;
    private final History history;
    private final String tag;
    private final long seed;
    private final ExecutorService threads;
    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicLong requests = new AtomicLong();
    private final Map<Integer, AtomicLong> statuses = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean sending = true;
    private volatile long giveUpAt = Long.MAX_VALUE;

    Workload(List<String> gateways, History history, long seed, int clients, String tag) {
        this.gateways = gateways;
        this.history = history;
        this.tag = tag;
        this.seed = seed;
        this.threads = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            int client = c;
            running.add(threads.submit(() -> new Client(client).run()));
        }
    }

    long requests() {
        return requests.get();
    }

    Map<Integer, AtomicLong> statuses() {
        return new TreeMap<>(statuses);
    }

    /** Stops new events and lets each client retry what it has in flight until acknowledged, or until {@code drain} is over. */
    void stop(Duration drain) throws Exception {
        sending = false;
        giveUpAt = System.currentTimeMillis() + drain.toMillis();
        for (Future<?> f : running) {
            f.get(drain.toSeconds() + 60, TimeUnit.SECONDS);
        }
        threads.shutdown();
    }

    void abandon() {
        sending = false;
        giveUpAt = 0;
        threads.shutdownNow();
    }

    /** Beacons come from browsers: the gateway counts a known robot's (Java's HttpClient is one) as invalid. */
    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private final class Client {
        private final int id;
        private final Random random;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        /** Acknowledged impressions whose clean click may follow: their signed parameters. */
        private final ArrayDeque<Map<String, String>> clickable = new ArrayDeque<>();
        private long counter;

        Client(int id) {
            this.id = id;
            this.random = new Random(seed * 1_000_003L + id);
        }

        void run() {
            try {
                while (sending && !Thread.currentThread().isInterrupted()) {
                    int op = random.nextInt(100);
                    if (op < 45) {
                        impression();
                    } else if (op < 60 && !clickable.isEmpty()) {
                        cleanClick();
                    } else if (op < 66) {
                        suspectClick();
                    } else if (op < 80) {
                        sale();
                    } else {
                        batch();
                    }
                    Thread.sleep(10 + random.nextInt(20));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private String next(String kind) {
            return tag + "-" + id + "-" + kind + (++counter);
        }

        private Map<String, String> rendering() {
            long banner = 1 + random.nextInt(BANNERS);
            Map<String, String> p = new TreeMap<>();
            p.put("b", Long.toString(banner));
            p.put("p", Long.toString(1 + random.nextInt(PUBLISHERS)));
            p.put("ts", Long.toString(System.currentTimeMillis()));
            p.put("n", next("n"));
            return p;
        }

        /** Signed for {@code type} by the signer in common (whatever its contract version); an earlier sig is replaced. */
        private Map<String, String> signed(EventType type, Map<String, String> params) {
            long campaign = DemoCatalog.campaignOf(Long.parseLong(params.get("b")));
            Map<String, String> unsigned = new TreeMap<>(params);
            unsigned.remove(CanonicalString.SIGNATURE_PARAM);
            Map<String, String> out = new TreeMap<>(unsigned);
            out.put(CanonicalString.SIGNATURE_PARAM, BeaconSigner.sign(BeaconSigner.key(DemoCatalog.secretOf(campaign)), type, unsigned));
            return out;
        }

        private Event define(Event.Kind kind, Map<String, String> p, String id, long micros) {
            long banner = Long.parseLong(p.get("b"));
            Event e = new Event(id, kind, banner, Long.parseLong(p.get("p")), DemoCatalog.campaignOf(banner), micros);
            history.event(e);
            return e;
        }

        private void impression() throws InterruptedException {
            Map<String, String> p = signed(EventType.IMPRESSION, rendering());
            Event e = define(Event.Kind.IMPRESSION, p, "i:" + p.get("n"), 0);
            boolean acked = single(e, "/i", p, false);
            if (acked && random.nextInt(10) == 0) {
                single(e, "/i", p, true);
            }
            if (acked) {
                mayClick(p);
            }
        }

        /** Only an acknowledged impression's click is clean: one refused or unknown may not be counted. */
        private void mayClick(Map<String, String> impression) {
            if (random.nextInt(100) < 60) {
                clickable.add(impression);
                if (clickable.size() > 200) {
                    clickable.poll();
                }
            }
        }

        private void cleanClick() throws InterruptedException {
            Map<String, String> p = signed(EventType.CLICK, clickable.poll());
            Event e = define(Event.Kind.CLEAN_CLICK, p, "c:" + p.get("n"), 0);
            if (single(e, "/c", p, false) && random.nextInt(10) == 0) {
                single(e, "/c", p, true);
            }
        }

        private void suspectClick() throws InterruptedException {
            Map<String, String> p = signed(EventType.CLICK, rendering());
            Event e = define(Event.Kind.SUSPECT_CLICK, p, "c:" + p.get("n"), 0);
            single(e, "/c", p, false);
        }

        private Map<String, String> saleParams() {
            Map<String, String> p = rendering();
            p.remove("n");
            long cents = 1 + random.nextInt(50_000);
            p.put("order", next("o"));
            p.put("amount", (cents / 100) + "." + String.format("%02d", cents % 100));
            return signed(EventType.SALE, p);
        }

        private static long micros(Map<String, String> p) {
            return new java.math.BigDecimal(p.get("amount")).movePointRight(6).longValueExact();
        }

        private void sale() throws InterruptedException {
            Map<String, String> p = saleParams();
            Event e = define(Event.Kind.SALE, p, "s:" + DemoCatalog.campaignOf(Long.parseLong(p.get("b"))) + ":" + p.get("order"), micros(p));
            if (single(e, "/s", p, false) && random.nextInt(2) == 0) {
                single(e, "/s", p, true);
            }
        }

        /**
         * Sends one beacon until acknowledged (or given up); true when acknowledged.
         * {@code replay}: sent once more after the acknowledgement, not retried.
         */
        private boolean single(Event e, String path, Map<String, String> p, boolean replay) throws InterruptedException {
            String query = query(p);
            while (true) {
                String gateway = gateways.get(random.nextInt(gateways.size()));
                String request = id + "/" + requests.incrementAndGet();
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(gateway + path + (path.equals("/s") ? "" : "?" + query)))
                        .timeout(Duration.ofSeconds(10)).header("User-Agent", BROWSER);
                if (path.equals("/s")) {
                    rb.header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(query));
                }
                long at = System.currentTimeMillis();
                int status;
                Attempt.Outcome outcome;
                try {
                    HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
                    status = r.statusCode();
                    if (status / 100 == 2 || status == 302) {
                        outcome = !path.equals("/s") ? Attempt.Outcome.ACKED
                                : status == 202 ? Attempt.Outcome.ACCEPTED
                                : r.body().contains("\"duplicate\":true") ? Attempt.Outcome.DUPLICATE : Attempt.Outcome.ACKED;
                    } else if (status == 503 && r.body().contains("\"outcome_unknown\"")) {
                        outcome = Attempt.Outcome.UNKNOWN; // the gateway says the grid may have counted it
                    } else if (status == 503 || status / 100 == 4) {
                        outcome = Attempt.Outcome.REFUSED;
                    } else {
                        outcome = Attempt.Outcome.UNKNOWN;
                    }
                } catch (java.io.IOException ex) {
                    status = -1;
                    outcome = Attempt.Outcome.UNKNOWN;
                }
                statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                history.attempt(new Attempt(at, request, e.id(), path, host(gateway), replay, status, outcome));
                if (outcome.acknowledged()) {
                    return true;
                }
                if (replay || status / 100 == 4 || System.currentTimeMillis() > giveUpAt
                        || (status == 503 && random.nextInt(10) == 0)) {
                    return false;
                }
                Thread.sleep(200);
            }
        }

        /** A POST /events batch: new impressions, clean clicks, suspect clicks and sales; re-sent whole until no line is refused by 503. */
        private void batch() throws InterruptedException {
            int lines = 3 + random.nextInt(20);
            List<Event> events = new ArrayList<>();
            List<Map<String, String>> params = new ArrayList<>();
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                int kind = random.nextInt(100);
                Map<String, String> p;
                Event e;
                String type;
                if (kind < 55) {
                    p = signed(EventType.IMPRESSION, rendering());
                    e = define(Event.Kind.IMPRESSION, p, "i:" + p.get("n"), 0);
                    type = "impression";
                } else if (kind < 70 && !clickable.isEmpty()) {
                    p = signed(EventType.CLICK, clickable.poll());
                    e = define(Event.Kind.CLEAN_CLICK, p, "c:" + p.get("n"), 0);
                    type = "click";
                } else if (kind < 80) {
                    p = signed(EventType.CLICK, rendering());
                    e = define(Event.Kind.SUSPECT_CLICK, p, "c:" + p.get("n"), 0);
                    type = "click";
                } else {
                    p = saleParams();
                    e = define(Event.Kind.SALE, p, "s:" + DemoCatalog.campaignOf(Long.parseLong(p.get("b"))) + ":" + p.get("order"), micros(p));
                    type = "sale";
                }
                Map<String, String> line = new LinkedHashMap<>();
                line.put("type", type);
                line.putAll(p);
                try {
                    body.append(JSON.writeValueAsString(line)).append('\n');
                } catch (java.io.IOException ex) {
                    throw new IllegalStateException(ex);
                }
                events.add(e);
                params.add(p);
            }
            java.util.Set<String> acked = new java.util.HashSet<>();
            if (sendBatch(events, body.toString(), false, acked) && random.nextInt(4) == 0) {
                sendBatch(events, body.toString(), true, new java.util.HashSet<>());
            }
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).kind() == Event.Kind.IMPRESSION && acked.contains(events.get(i).id())) {
                    mayClick(params.get(i));
                }
            }
        }

        private boolean sendBatch(List<Event> events, String body, boolean replay, java.util.Set<String> acked) throws InterruptedException {
            while (true) {
                String gateway = gateways.get(random.nextInt(gateways.size()));
                String request = id + "/" + requests.incrementAndGet();
                long at = System.currentTimeMillis();
                Map<Integer, Integer> lineStatus = new HashMap<>();
                int status;
                Attempt.Outcome ok = Attempt.Outcome.UNKNOWN;
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "/events")).timeout(Duration.ofSeconds(15))
                            .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    status = r.statusCode();
                    if (status == 200) {
                        JsonNode answer = JSON.readTree(r.body());
                        for (JsonNode err : answer.get("errors")) {
                            lineStatus.put(err.get("line").asInt(), err.get("status").asInt());
                        }
                        long taken = answer.get("accepted").asLong();
                        long duplicates = answer.get("duplicates").asLong();
                        ok = taken == 0 ? Attempt.Outcome.UNKNOWN : duplicates == 0 ? Attempt.Outcome.ACCEPTED
                                : duplicates == taken ? Attempt.Outcome.DUPLICATE : Attempt.Outcome.ACKED;
                    }
                } catch (java.io.IOException ex) {
                    status = -1;
                }
                statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                boolean again = false;
                for (int i = 0; i < events.size(); i++) {
                    int line = i + 1;
                    int s = status != 200 ? status : lineStatus.getOrDefault(line, 200);
                    Attempt.Outcome o = status != 200 ? (status / 100 == 4 ? Attempt.Outcome.REFUSED : Attempt.Outcome.UNKNOWN)
                            : s == 200 ? ok : s == 503 ? Attempt.Outcome.UNKNOWN : Attempt.Outcome.REFUSED;
                    again |= o == Attempt.Outcome.UNKNOWN;
                    if (o.acknowledged()) {
                        acked.add(events.get(i).id());
                    }
                    history.attempt(new Attempt(at, request, events.get(i).id(), "/events", host(gateway), replay, s, o));
                }
                if (!again) {
                    return true;
                }
                if (replay || System.currentTimeMillis() > giveUpAt) {
                    return false;
                }
                Thread.sleep(200);
            }
        }
    }

    private static String host(String gateway) {
        return gateway.substring(gateway.lastIndexOf(':') + 1);
    }

    static String query(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return sb.toString();
    }
}
