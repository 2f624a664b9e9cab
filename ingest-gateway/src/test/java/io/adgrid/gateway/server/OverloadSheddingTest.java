package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's connection pipeline ({@link GatewayServer#connection}) with an {@link OverloadGuard}
 * on embedded channels, fed raw bytes: what an overloaded gateway answers, to whom, in which order,
 * and what it counts; the connection cap; the idle timeout.
 */
class OverloadSheddingTest {

    private static final long TS = NOW - 5_000;
    private static final long MS = 1_000_000L;
    /** Requests pending at once that the guard takes for a queue (its floor) in these tests. */
    private static final int QUEUE = 2;

    private final InMemorySink sink = new InMemorySink();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final BeaconService service = new BeaconService(
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true, metrics);
    private final AtomicLong now = new AtomicLong(5_000 * MS);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(c -> assertThat(c.finishAndReleaseAll()).as("messages left unread").isFalse());
    }

    private OverloadGuard guard(int maxPending, int maxConnections, Duration idleTimeout) {
        return new OverloadGuard(new OverloadGuard.Settings(maxPending, Duration.ofMillis(200), maxConnections, idleTimeout, QUEUE),
                now::get);
    }

    private EmbeddedChannel connect(OverloadGuard guard) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        GatewayServer.connection(channel, GatewayServer.Limits.defaults(), service, guard);
        return channel;
    }

    /** Drives the guard to handle no request at all: a queue, and twelve windows each with a long delay. */
    private void overload(OverloadGuard guard) {
        for (int i = 0; i < QUEUE; i++) {
            assertThat(guard.admit(now.get())).isTrue(); // read elsewhere, never answered: the queue
        }
        for (int i = 0; i < 12; i++) {
            now.addAndGet(OverloadGuard.WINDOW_NANOS);
            guard.delayed(2_000 * MS, now.get());
        }
        assertThat(guard.admittedShare()).isZero();
    }

    @Test
    void requestTheGuardRefusesIsAnswered503WithRetryAfterUnhandledAndCountedAsOverloaded() {
        OverloadGuard guard = guard(1_000, 10, Duration.ZERO);
        EmbeddedChannel channel = connect(guard);
        overload(guard);

        List<String> answers = EmbeddedHttp.send(channel, impression("a") + impression("b"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 503);
        assertThat(answers.get(0)).contains("retry-after: 1\r\n").contains("\"error\":\"overloaded\"");
        assertThat(sink.submitted()).isEmpty();
        assertThat(rejected("impression", "overloaded")).isEqualTo(2);
        assertThat(guard.shedRequests()).isEqualTo(2);
        assertThat(channel.isOpen()).as("a shed request keeps its connection").isTrue();
    }

    @Test
    void healthCheckIsAnsweredEvenWhileEverythingElseIsShed() {
        OverloadGuard guard = guard(1_000, 10, Duration.ZERO);
        EmbeddedChannel channel = connect(guard);
        overload(guard);

        List<String> answers = EmbeddedHttp.send(channel, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n" + impression("a"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(200, 503);
    }

    @Test
    void requestPastThePendingCapIsAnswered503AfterTheEarlierAnswerAndTheCapFreesWhenItIsWritten() {
        OverloadGuard guard = guard(1, 10, Duration.ZERO);
        EmbeddedChannel channel = connect(guard);
        sink.holdAnswers();

        // The second request's 503 is ready at once, the first waits for the grid: the order holds.
        assertThat(EmbeddedHttp.send(channel, impression("a") + impression("b"))).isEmpty();
        assertThat(sink.submitted()).hasSize(1);
        assertThat(guard.pendingRequests()).isEqualTo(1);

        sink.releaseAll();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, ""))).containsExactly(200, 503);
        assertThat(guard.pendingRequests()).isZero();

        // releaseAll also stopped holding: the next request is answered at once, and admitted again.
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, impression("c")))).containsExactly(200);
        assertThat(sink.counted()).hasSize(2);
        assertThat(rejected("impression", "overloaded")).isEqualTo(1);
    }

    @Test
    void slowAnswersToQueuedRequestsMakeTheGuardShedPartOfTheNextRequests() {
        OverloadGuard guard = guard(1_000, 10, Duration.ZERO);
        EmbeddedChannel channel = connect(guard);
        for (int window = 0; window < 2; window++) { // two windows in a row: one is no evidence
            sink.holdAnswers();
            EmbeddedHttp.send(channel, impression("slow-a" + window) + impression("slow-b" + window));
            now.addAndGet(OverloadGuard.WINDOW_NANOS + 500 * MS); // the grid answers 600 ms later
            sink.releaseAll();
            assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, ""))).containsExactly(200, 200);
        }
        assertThat(guard.admittedShare()).isEqualTo(0.5);

        List<String> answers = new ArrayList<>(); // releaseAll also stopped holding: answers come at once
        for (int i = 0; i < 4; i++) {
            answers.addAll(EmbeddedHttp.send(channel, impression("n" + i)));
        }
        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 200, 503, 200);
    }

    @Test
    void aSlowAnswerToALoneRequestIsNoOverload() {
        OverloadGuard guard = guard(1_000, 10, Duration.ZERO);
        EmbeddedChannel channel = connect(guard);
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sink.holdAnswers();
            EmbeddedHttp.send(channel, impression("cold-" + i));
            now.addAndGet(OverloadGuard.WINDOW_NANOS + 500 * MS);
            sink.releaseAll();
            answers.addAll(EmbeddedHttp.send(channel, ""));
        }
        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(200, 200, 200, 200, 200);
        assertThat(guard.admittedShare()).isEqualTo(1.0);
        assertThat(guard.shedRequests()).isZero();
    }

    @Test
    void aSlowBatchAnswerIsNoOverloadSignalButStillCountsAsPending() {
        OverloadGuard guard = guard(1, 10, Duration.ZERO);
        EmbeddedChannel channel = connect(guard);
        sink.holdAnswers();
        EmbeddedHttp.send(channel, events("batch-1", "batch-2"));
        assertThat(guard.pendingRequests()).isEqualTo(1);
        now.addAndGet(OverloadGuard.WINDOW_NANOS + 500 * MS); // thousands of events: the grid answers 600 ms later
        sink.releaseAll();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, ""))).containsExactly(200);
        assertThat(guard.pendingRequests()).isZero();

        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.addAll(EmbeddedHttp.send(channel, impression("after-" + i)));
        }
        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(200, 200, 200, 200);
        assertThat(guard.admittedShare()).isEqualTo(1.0);
        assertThat(sink.counted()).hasSize(6);
    }

    @Test
    void connectionPastTheCapIsClosedBeforeAnythingIsReadUntilAnotherCloses() {
        OverloadGuard guard = guard(1_000, 2, Duration.ZERO);
        EmbeddedChannel first = connect(guard);
        EmbeddedChannel second = connect(guard);
        EmbeddedChannel third = connect(guard);

        assertThat(first.isOpen()).isTrue();
        assertThat(second.isOpen()).isTrue();
        assertThat(third.isOpen()).isFalse();
        assertThat(guard.refusedConnections()).isEqualTo(1);
        assertThat(guard.openConnections()).isEqualTo(2);

        first.close();
        first.runPendingTasks();
        assertThat(guard.openConnections()).isEqualTo(1);
        EmbeddedChannel fourth = connect(guard);
        assertThat(fourth.isOpen()).isTrue();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(fourth, impression("a")))).containsExactly(200);
    }

    @Test
    void silentConnectionIsClosedAfterTheIdleTimeoutAndNotBefore() {
        EmbeddedChannel channel = connect(guard(1_000, 10, Duration.ofSeconds(60)));

        idle(channel, 59);
        assertThat(channel.isOpen()).isTrue();
        idle(channel, 16);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void connectionInUseStaysOpenPastTheIdleTimeout() {
        EmbeddedChannel channel = connect(guard(1_000, 10, Duration.ofSeconds(60)));

        for (int i = 0; i < 10; i++) {
            idle(channel, 30);
            assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, impression("k" + i)))).containsExactly(200);
        }
        assertThat(channel.isOpen()).isTrue();
        idle(channel, 76);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aZeroIdleTimeoutNeverClosesAConnection() {
        EmbeddedChannel channel = connect(guard(1_000, 10, Duration.ZERO));

        idle(channel, 3_600);

        assertThat(channel.isOpen()).isTrue();
    }

    /** Lets the channel's clock run for {@code seconds}, running its scheduled checks each second. */
    private static void idle(EmbeddedChannel channel, int seconds) {
        for (int s = 0; s < seconds; s++) {
            channel.advanceTimeBy(1, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
        }
    }

    private static String impression(String nonce) {
        StringBuilder q = new StringBuilder();
        signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)).forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(v));
        return "GET /i?" + q + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }

    /** {@code POST /events} with one signed impression line per nonce. */
    private static String events(String... nonces) {
        StringBuilder body = new StringBuilder();
        for (String nonce : nonces) {
            StringBuilder line = new StringBuilder("{\"type\":\"i\"");
            signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)).forEach((k, v) -> line.append(",\"").append(k).append("\":\"").append(v).append('"'));
            body.append(line).append("}\n");
        }
        return "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body;
    }

    private double rejected(String type, String reason) {
        Counter c = metrics.find("adgrid.gateway.events").tag("type", type).tag("outcome", "rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
