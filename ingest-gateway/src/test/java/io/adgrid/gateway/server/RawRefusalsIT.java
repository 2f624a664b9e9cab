package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * Cheap refusals (issue 23) through a real socket: the pre-encoded answers, written as read-only
 * views of one shared buffer, go out whole and in order over epoll (or NIO), a pipelined burst in
 * pieces as a client's writes split it, and the connection serves again once the guard handles
 * every request. The grid is an in-memory sink: the socket's side is the point here.
 */
class RawRefusalsIT {

    private static final long TS = NOW - 5_000;
    private static final long MS = 1_000_000L;

    @Test
    void aPipelinedBurstOverARealSocketIsRefusedInOrderAndTheConnectionServesAfterwards() throws IOException {
        InMemorySink sink = new InMemorySink();
        BeaconService service = new BeaconService(
                new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true,
                new SimpleMeterRegistry());
        AtomicLong now = new AtomicLong(5_000 * MS);
        OverloadGuard guard = new OverloadGuard(new OverloadGuard.Settings(1_000, Duration.ofMillis(200), 100, Duration.ZERO, 1),
                now::get);
        guard.admit(now.get()); // the queue
        for (int i = 0; i < 12; i++) {
            now.addAndGet(OverloadGuard.WINDOW_NANOS);
            guard.delayed(2_000 * MS, now.get());
        }
        assertThat(guard.admittedShare()).isZero();

        try (GatewayServer server = GatewayServer.start("127.0.0.1", 0, 1, GatewayServer.Limits.defaults(), service, guard);
             Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());

            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                burst.append(i == 50 ? "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n" : impression("n" + i));
            }
            byte[] bytes = burst.toString().getBytes(StandardCharsets.US_ASCII);
            for (int from = 0; from < bytes.length; from += 1_000) { // the client's writes cut requests anywhere
                out.write(bytes, from, Math.min(1_000, bytes.length - from));
                out.flush();
            }
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Answer a = read(in);
                statuses.add(a.status);
                if (a.status == 503) {
                    assertThat(a.head).contains("retry-after: 1\r\n").contains("connection: keep-alive\r\n");
                    assertThat(a.body).contains("\"error\":\"overloaded\"");
                }
            }
            assertThat(statuses.subList(0, 50)).containsOnly(503);
            assertThat(statuses.get(50)).isEqualTo(200);
            assertThat(statuses.subList(51, 100)).containsOnly(503);
            assertThat(sink.submitted()).isEmpty();
            assertThat(guard.shedRequests()).isEqualTo(99);

            guard.answeredBatch(); // the queue is gone: windows without delay bring the share back
            for (int i = 0; i < 20; i++) {
                now.addAndGet(OverloadGuard.WINDOW_NANOS);
                guard.delayed(0, now.get());
            }
            out.write(impression("after").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(read(in).status).isEqualTo(200);
            assertThat(sink.counted()).hasSize(1);
        }
    }

    private record Answer(int status, String head, String body) {
    }

    /** One answer: the head up to the empty line, then Content-Length bytes of body. */
    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        int at = text.indexOf("content-length: ");
        int length = Integer.parseInt(text.substring(at + 16, text.indexOf('\r', at)).trim());
        byte[] body = in.readNBytes(length);
        return new Answer(Integer.parseInt(text.substring(9, 12)), text, new String(body, StandardCharsets.US_ASCII));
    }

    private static String impression(String nonce) {
        StringBuilder q = new StringBuilder();
        signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)).forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(v));
        return "GET /i?" + q + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }
}
