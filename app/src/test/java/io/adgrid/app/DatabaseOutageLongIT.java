package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue "Nothing lost, nothing doubled", fault 3, long variant: PostgreSQL down for a minute
 * ({@code -Dadgrid.outage.seconds}, default 60) under steady load ({@code -Dadgrid.outage.rate}
 * impressions a second, default 300) against {@code adgrid run} started from the jar. Run by the
 * {@code faults} profile ({@code mvn -Pfaults}); the default suite runs the short
 * {@link DatabaseOutageIT}.
 *
 * <p>While PostgreSQL is down every beacon is answered 2xx, and the member's write-behind backlog is
 * sampled every second from {@code /api/v1/ops/overview}: counts aggregate per (banner, publisher,
 * minute) in the grid, so the backlog grows with the distinct keys sent, not with the events. It
 * must stay at most twice the distinct keys sent (a key can be both in an entry's pending counts and
 * in the batch sealed before the outage that waits for PostgreSQL). When PostgreSQL is back the
 * backlog drains, and every event is counted once: live, from PostgreSQL and in SQL.
 */
class DatabaseOutageLongIT {

    private static final String TOKEN = "outage-long-token";
    private static final int CLIENTS = 4;
    /** Distinct (banner, publisher) pairs the load uses: the counter keys are these times the minutes. */
    private static final int PAIRS = 200;
    private static final Duration WARM_UP = Duration.ofSeconds(10);
    private static final Duration AFTER_RETURN = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private EmbeddedDatabase database;
    private AdGridProcess adgrid;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong notOk = new AtomicLong();
    private final Set<String> keysSent = ConcurrentHashMap.newKeySet();
    private volatile boolean sending = true;

    @AfterEach
    void stop() throws InterruptedException {
        sending = false;
        if (adgrid != null) {
            adgrid.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void aMinuteWithoutPostgreSqlUnderLoadKeepsBeaconsAnsweredTheBacklogBoundedAndTotalsExact() throws Exception {
        int outageSeconds = Integer.getInteger("adgrid.outage.seconds", 60);
        int rate = Integer.getInteger("adgrid.outage.rate", 300);
        Path data = TestDirs.temporary("adgrid-outage-long");
        database = EmbeddedDatabase.start(data, 0);
        int databasePort = database.port();
        int gatewayPort = AdGridProcess.freePort();
        int reportingPort = AdGridProcess.freePort();
        adgrid = AdGridProcess.start("run", List.of(
                "--adgrid.db.url=" + database.settings().url(), "--adgrid.db.password=" + database.settings().password(),
                "--adgrid.grid.cluster-name=outage-long-" + UUID.randomUUID(),
                "--adgrid.grid.port=" + TestPorts.of(6320), "--adgrid.members=" + TestPorts.members(6320, 1),
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + reportingPort,
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-outage-long-var"),
                "--adgrid.demo=true", "--adgrid.admin.token=" + TOKEN));
        System.out.println("long outage: adgrid log " + adgrid.logFile());
        String gateway = "http://127.0.0.1:" + gatewayPort;
        String reporting = "http://127.0.0.1:" + reportingPort;
        Wait.until("the gateway answers /healthz", Duration.ofSeconds(90), () -> Probes.status(gateway + "/healthz") == 200);

        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
            int client = t;
            done.add(clients.submit(() -> send(gateway, client, rate / (double) CLIENTS)));
        }
        pause(WARM_UP);
        Wait.until("write-behind keeping up before the outage", Duration.ofSeconds(30), () -> lagSeconds(reporting) < 5);

        long sentBefore = sent.get();
        database.close();
        database = null;
        long outageStart = System.nanoTime();
        long backlogMax = 0;
        long heapMax = 0;
        long heapLimit = 0;
        long dedupMax = 0;
        int samples = 0;
        boolean reportsRefused = false;
        while (System.nanoTime() - outageStart < TimeUnit.SECONDS.toNanos(outageSeconds)) {
            JsonNode o = overview(reporting);
            if (o != null) {
                JsonNode backlog = o.path("writeBehind").path("backlogKeys");
                if (backlog.isNumber()) {
                    samples++;
                    // Read after the sample: the set only grows, so this bounds the sampled backlog.
                    long distinct = keysSent.size();
                    assertThat(backlog.asLong()).as("backlog keys vs 2 x %d distinct (banner, publisher, minute) keys sent", distinct)
                            .isLessThanOrEqualTo(2 * distinct);
                    backlogMax = Math.max(backlogMax, backlog.asLong());
                }
                for (JsonNode m : o.path("cluster").path("members")) {
                    if (!m.path("lite").asBoolean()) {
                        heapMax = Math.max(heapMax, m.path("heapUsed").asLong());
                        heapLimit = m.path("heapMax").asLong();
                        dedupMax = Math.max(dedupMax, m.path("dedupIdentities").asLong());
                    }
                }
            }
            if (!reportsRefused) {
                reportsRefused = Probes.status(reporting + "/api/v1/stats?source=db") == 503;
            }
            pause(Duration.ofSeconds(1));
        }
        long sentDuring = sent.get() - sentBefore;
        long distinctKeys = keysSent.size();
        assertThat(samples).as("backlog readings during the outage").isGreaterThan(outageSeconds / 4);
        assertThat(reportsRefused).as("reports from PostgreSQL answered 503 while it was down").isTrue();
        assertThat(notOk.get()).as("beacons answered other than 2xx (before and during the outage)").isZero();
        assertThat(backlogMax).as("a backlog was building up").isPositive();

        database = EmbeddedDatabase.start(data, databasePort);
        long back = System.currentTimeMillis();
        long backNanos = System.nanoTime();
        // Drained: the oldest change not yet in PostgreSQL is younger than PostgreSQL's return.
        Wait.until("the backlog of the outage drained", Duration.ofSeconds(120), () -> drained(reporting, back));
        double drainSeconds = (System.nanoTime() - backNanos) / 1e9;
        pause(AFTER_RETURN);
        sending = false;
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();

        long expected = sent.get();
        assertThat(notOk.get()).as("beacons answered other than 2xx").isZero();
        // The open minute is held back until 5 s after it closes: up to 65 s more.
        Wait.until("PostgreSQL holds every event", Duration.ofSeconds(150), () -> Probes.impressions(reporting, "db") == expected);
        assertThat(Probes.impressions(reporting, "live")).isEqualTo(expected);
        assertThat(Probes.flush(reporting, TOKEN)).as("admin flush").isEqualTo(200);
        assertThat(Probes.impressions(reporting, "db")).isEqualTo(expected);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(expected);
        System.out.printf("long outage: PostgreSQL down %d s under %d impressions/s; %d events sent (%d during the outage), "
                        + "%d counted live, after a flush and in SQL, 0 lost, 0 doubled, 0 non-2xx; %d distinct (banner, publisher, minute) keys; "
                        + "backlog max %d keys (%d samples); member heap used max %d MiB of %d MiB; dedup identities max %d; "
                        + "backlog drained %.1f s after PostgreSQL was back%n",
                outageSeconds, rate, expected, sentDuring, expected, distinctKeys, backlogMax, samples,
                heapMax >> 20, heapLimit >> 20, dedupMax, drainSeconds);
    }

    /** One client at {@code perSecond} impressions a second over {@link #PAIRS} pairs, each retried until it gets a 2xx. */
    private void send(String gateway, int client, double perSecond) {
        long period = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        for (long i = 0; sending; i++) {
            int pair = (int) ((client + i * CLIENTS) % PAIRS);
            long banner = 1 + pair * 5L;
            long publisher = 1 + pair % 100;
            long ts = System.currentTimeMillis();
            String url = gateway + "/i?" + Beacons.beacon(banner, publisher, ts, "long-" + client + "-" + i);
            while (Probes.status(url) != 200) {
                notOk.incrementAndGet();
                pause(Duration.ofMillis(200));
            }
            keysSent.add(banner + "/" + publisher + "/" + Math.floorDiv(ts, 60_000L));
            sent.incrementAndGet();
            next += period;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime();
            }
        }
    }

    private JsonNode overview(String reporting) {
        try {
            HttpResponse<String> r = http.send(Beacons.request(URI.create(reporting + "/api/v1/ops/overview"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? json.readTree(r.body()) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    private double lagSeconds(String reporting) {
        JsonNode o = overview(reporting);
        JsonNode lag = o == null ? null : o.path("writeBehind").path("lagSeconds");
        return lag != null && lag.isNumber() ? lag.asDouble() : Double.MAX_VALUE;
    }

    private boolean drained(String reporting, long backMillis) {
        JsonNode o = overview(reporting);
        if (o == null || !o.path("writeBehind").path("lagSeconds").isNumber()) {
            return false;
        }
        long sampled = o.path("now").path("t").asLong(o.path("time").asLong());
        long oldestUnwritten = sampled - (long) (o.path("writeBehind").path("lagSeconds").asDouble() * 1000);
        return oldestUnwritten > backMillis;
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
