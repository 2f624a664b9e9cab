package io.adgrid.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.grid.testing.Wait;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: 2,000 slow-body and 2,000 slow-header connections (500 from each of 127.0.0.2..127.0.0.5,
 * under the per-address cap) against the real gateway with its default limits, while one normal
 * client keeps sending impressions: the normal client gets 200s (at least 9 in 10; the rest only the
 * overload guard's 503s, never a failed connection), the gateway's heap stays under
 * 256 MB, bodies buffered stay under their cap, and the gateway closes every slow connection (503
 * for bodies past the cap, deadlines for the rest). The normal client's p99 is printed, not asserted.
 */
class SlowClientsIT {

    private static final int PORT_BASE = TestPorts.of(6130);
    private static final int PER_KIND = 2_000;
    private static final long HEAP_LIMIT = 256L * 1024 * 1024;

    @Test
    void slowClientsNeitherExhaustMemoryNorStarveANormalClient() throws Exception {
        try (LiveGateway gateway = new LiveGateway(SlowClientsIT.class, PORT_BASE, GatewayServer.Limits.defaults())) {
            List<SocketChannel> slowHeaders = new ArrayList<>();
            List<SocketChannel> slowBodies = new ArrayList<>();
            AtomicBoolean attacking = new AtomicBoolean(true);
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
            Thread normal = new Thread(() -> normalClient(gateway.port(), attacking, latencies, statuses), "normal-client");
            try {
                warmUp(gateway.port());
                for (int i = 0; i < PER_KIND; i++) {
                    String from = "127.0.0." + (2 + i % 4);
                    slowHeaders.add(open(from, gateway.port(), "GET /i?b=7&p=3 HTTP/1.1\r\nHost: gw\r\n"));
                    slowBodies.add(open(from, gateway.port(), "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: 4000000\r\n\r\n{"));
                }
                // The flood of 4,000 new connections is over (the slow bodies past the cap have their 503)
                // before the normal client starts: under the flood itself the overload guard may shed it.
                Wait.until("slow bodies past the cap answered", Duration.ofSeconds(60), () -> {
                    trickle(slowBodies, "{");
                    return gateway.server.overBudgetRefusals() >= PER_KIND - ConnectionLimits.defaults().maxBufferedBytes() / 4_000_000;
                });
                // Heap in use after a full collection with every slow connection open and sending; later
                // figures are taken after the collections the JVM runs by itself (a forced one stops the
                // gateway's event loops too, and the overload guard would rightly shed the normal client).
                System.gc();
                long peakHeap = heapAfterLastCollection();
                warmUp(gateway.port()); // the forced collection stopped the event loops: the guard sheds until it sees them prompt again
                normal.start();
                long peakBuffered = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                // Trickle a byte a second on every slow connection the gateway has not closed yet.
                while (System.nanoTime() < deadline && (open(slowHeaders) > 0 || open(slowBodies) > 0)) {
                    trickle(slowHeaders, "X");
                    trickle(slowBodies, "{");
                    peakHeap = Math.max(peakHeap, heapAfterLastCollection());
                    peakBuffered = Math.max(peakBuffered, gateway.server.bufferedBodyBytes());
                    Thread.sleep(1000);
                }
                attacking.set(false);
                normal.join(30_000);

                System.out.printf("SlowClientsIT: normal client %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms; peak heap %d MB; "
                                + "peak buffered bodies %d MB; 503 over budget %d%n", latencies.size(), pct(latencies, 0.50),
                        pct(latencies, 0.99), pct(latencies, 1.0), peakHeap >> 20, peakBuffered >> 20, gateway.server.overBudgetRefusals());
                assertThat(open(slowHeaders)).as("slow-header connections the gateway left open").isZero();
                assertThat(open(slowBodies)).as("slow-body connections the gateway left open").isZero();
                // Only 200s, but for the overload guard's own 503s: on a busy 2-core box running the attack too, an
                // event loop is now and then late by its threshold (200 ms) and the guard sheds for a moment.
                // That is not what is tested; a strict all-200 and p99 check belongs to a quiet machine.
                long ok = statuses.stream().filter(st -> st == 200).count();
                System.out.printf("SlowClientsIT: normal client answers: %d x 200, %d x 503 (overload guard), %d other%n", ok,
                        statuses.stream().filter(st -> st == 503).count(), statuses.stream().filter(st -> st != 200 && st != 503).count());
                assertThat(statuses).as("the normal client's answers").isNotEmpty().isSubsetOf(200, 503);
                assertThat(ok).as("200s among the normal client's %d answers", statuses.size()).isGreaterThanOrEqualTo(statuses.size() * 9L / 10);
                assertThat(peakHeap).as("heap in use after collections while the slow connections were open").isLessThan(HEAP_LIMIT);
                assertThat(peakBuffered).as("bodies buffered").isLessThanOrEqualTo(ConnectionLimits.defaults().maxBufferedBytes());
                assertThat(gateway.server.overBudgetRefusals()).as("slow bodies refused 503 past the cap").isPositive();
            } finally {
                attacking.set(false);
                for (SocketChannel c : slowHeaders) {
                    c.close();
                }
                for (SocketChannel c : slowBodies) {
                    c.close();
                }
            }
        }
    }

    private static long heapAfterLastCollection() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getCollectionUsage).filter(u -> u != null).mapToLong(MemoryUsage::getUsed).sum();
    }

    private static SocketChannel open(String from, int port, String start) throws IOException {
        SocketChannel c = SocketChannel.open();
        c.bind(new InetSocketAddress(from, 0));
        c.connect(new InetSocketAddress("127.0.0.1", port));
        c.configureBlocking(false);
        c.write(ByteBuffer.wrap(start.getBytes(StandardCharsets.ISO_8859_1)));
        return c;
    }

    /** Writes one byte to every connection still open; one the gateway closed is closed here too. */
    private static void trickle(List<SocketChannel> connections, String b) {
        ByteBuffer drain = ByteBuffer.allocate(4096);
        for (SocketChannel c : connections) {
            if (!c.isOpen()) {
                continue;
            }
            try {
                drain.clear();
                if (c.read(drain) < 0) { // the gateway closed it (after a 503, or at a deadline)
                    c.close();
                    continue;
                }
                c.write(ByteBuffer.wrap(b.getBytes(StandardCharsets.ISO_8859_1)));
            } catch (IOException e) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
    }

    private static long open(List<SocketChannel> connections) {
        return connections.stream().filter(SocketChannel::isOpen).count();
    }

    private static void normalClient(int port, AtomicBoolean attacking, List<Long> latencies, List<Integer> statuses) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        AtomicInteger n = new AtomicInteger();
        while (attacking.get()) {
            Map<String, String> params = TestCatalog.signed(TestCatalog.CAMPAIGN_1,
                    TestCatalog.beacon(7, 3, System.currentTimeMillis(), "normal-" + n.incrementAndGet()));
            StringBuilder q = new StringBuilder();
            params.forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(v));
            long start = System.nanoTime();
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/i?" + q))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                statuses.add(r.statusCode());
            } catch (IOException e) {
                statuses.add(-1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            latencies.add(System.nanoTime() - start);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * A cold gateway's first grid calls take long enough for its overload guard to shed a few requests:
     * warmed up until 50 answers in a row are 200, so that what the attack does is what is measured.
     */
    private static void warmUp(int port) {
        AtomicBoolean going = new AtomicBoolean(true);
        List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
        Thread warm = new Thread(() -> normalClient(port, going, new ArrayList<>(), statuses), "warm-up");
        warm.start();
        try {
            Wait.until("50 answers in a row are 200", Duration.ofSeconds(60), () -> {
                synchronized (statuses) {
                    int n = statuses.size();
                    return n >= 50 && statuses.subList(n - 50, n).stream().allMatch(st -> st == 200);
                }
            });
        } finally {
            going.set(false);
        }
    }

    private static double pct(List<Long> nanos, double p) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1)) / 1e6;
    }
}
