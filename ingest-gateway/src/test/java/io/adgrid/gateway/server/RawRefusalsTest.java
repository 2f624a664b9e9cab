package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cheap refusals (issue 23, {@link RawRefusals}) on the real connection pipeline over embedded
 * channels: while the guard sheds, a request is refused from its raw bytes without reaching the HTTP
 * codec, with the same bytes as the handler's 503, in request order, counted as before; whatever the
 * framing in front of the codec is not sure of goes to the codec unchanged.
 */
class RawRefusalsTest {

    private static final long TS = NOW - 5_000;
    private static final long MS = 1_000_000L;
    private static final int QUEUE = 2;

    private final InMemorySink sink = new InMemorySink();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final BeaconService service = new BeaconService(
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true, metrics);
    private final AtomicLong now = new AtomicLong(5_000 * MS);
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    /** Requests the HTTP codec decoded, on every connection of a test. */
    private final AtomicInteger decoded = new AtomicInteger();

    @AfterEach
    void close() {
        channels.forEach(c -> assertThat(c.finishAndReleaseAll()).as("messages left unread").isFalse());
    }

    private OverloadGuard guard(int maxPending) {
        return new OverloadGuard(new OverloadGuard.Settings(maxPending, Duration.ofMillis(200), 10, Duration.ZERO, QUEUE), now::get);
    }

    private EmbeddedChannel connect(OverloadGuard guard) {
        return connect(guard, ConnectionLimits.defaults());
    }

    private EmbeddedChannel connect(OverloadGuard guard, ConnectionLimits limits) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        GatewayServer.handlers(channel.pipeline(), GatewayServer.Limits.defaults(), service, guard, GatewayServer.Guards.of(limits));
        String codec = channel.pipeline().context(HttpServerCodec.class).name();
        channel.pipeline().addAfter(codec, "decoded", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    decoded.incrementAndGet();
                }
                ctx.fireChannelRead(msg);
            }
        });
        return channel;
    }

    /** Drives the guard to handle no request at all (as OverloadSheddingTest does). */
    private void overload(OverloadGuard guard) {
        for (int i = 0; i < QUEUE; i++) {
            assertThat(guard.admit(now.get())).isTrue();
        }
        for (int i = 0; i < 12; i++) {
            now.addAndGet(OverloadGuard.WINDOW_NANOS);
            guard.delayed(2_000 * MS, now.get());
        }
        assertThat(guard.admittedShare()).isZero();
    }

    /** Back to handling every request: the queue answered, windows without delay. */
    private void recover(OverloadGuard guard) {
        for (int i = 0; i < QUEUE; i++) {
            guard.answeredBatch();
        }
        for (int i = 0; i < 20; i++) {
            now.addAndGet(OverloadGuard.WINDOW_NANOS);
            guard.delayed(0, now.get());
        }
        assertThat(guard.admittedShare()).isEqualTo(1.0);
    }

    @Test
    void aPipelinedBurstIsRefusedFromItsBytesWithTheHandlersOwnAnswerAndTheConnectionStaysUsable() {
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);

        List<String> answers = EmbeddedHttp.send(channel, impression("a") + impression("b") + click("c") + impression("d"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 503, 503, 503);
        assertThat(decoded).as("requests decoded").hasValue(0);
        assertThat(sink.submitted()).isEmpty();
        assertThat(rejected("impression", "overloaded")).isEqualTo(3);
        assertThat(rejected("click", "overloaded")).isEqualTo(1);
        assertThat(guard.shedRequests()).isEqualTo(4);
        assertThat(answers.get(0)).as("byte for byte").isEqualTo(handlersOverloadedAnswer());

        recover(guard);
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, impression("e")))).containsExactly(200);
        assertThat(sink.counted()).hasSize(1);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void burstsLongerThanOneBufferOfAnswersGetOneAnswerEachAlsoBehindARequestInFlight() {
        StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 70; i++) {
            burst.append(impression("r" + i));
        }
        OverloadGuard shedding = guard(1_000);
        EmbeddedChannel atOnce = connect(shedding);
        overload(shedding);
        List<String> answers = EmbeddedHttp.send(atOnce, burst.toString());
        assertThat(answers).hasSize(70).containsOnly(answers.get(0));
        assertThat(answers.get(0)).startsWith("HTTP/1.1 503 ").contains("retry-after: 1\r\n");

        OverloadGuard onePending = guard(1);
        EmbeddedChannel behind = connect(onePending);
        sink.holdAnswers();
        assertThat(EmbeddedHttp.send(behind, impression("held") + burst)).isEmpty(); // all 70 wait behind the first
        sink.releaseAll();
        answers = EmbeddedHttp.send(behind, "");
        assertThat(EmbeddedHttp.statuses(answers)).hasSize(71).startsWith(200);
        assertThat(answers.subList(1, 71)).containsOnly(answers.get(1));
        assertThat(answers.get(1)).startsWith("HTTP/1.1 503 ");
        assertThat(rejected("impression", "overloaded")).isEqualTo(140);
        assertThat(decoded).hasValue(1);
    }

    @Test
    void requestsSplitAcrossReadsAtEveryByteAreRefusedInOrder() {
        String two = impression("a") + sale("order-1") + impression("b");
        for (int cut = 1; cut < two.length(); cut++) {
            OverloadGuard guard = guard(1_000);
            EmbeddedChannel channel = connect(guard);
            overload(guard);
            List<String> answers = new ArrayList<>(EmbeddedHttp.send(channel, two.substring(0, cut)));
            answers.addAll(EmbeddedHttp.send(channel, two.substring(cut)));
            assertThat(EmbeddedHttp.statuses(answers)).as("cut at %d", cut).containsExactly(503, 503, 503);
            assertThat(channel.isOpen()).isTrue();
        }
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void aHeadTricklingInAByteAReadGoesToTheCodecAfterAFewReadsAndIsAnsweredAsBefore() {
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);
        String request = impression("slow");
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < request.length(); i++) {
            answers.addAll(EmbeddedHttp.send(channel, request.substring(i, i + 1)));
        }
        answers.addAll(EmbeddedHttp.send(channel, impression("next")));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 503);
        assertThat(decoded).as("the codec has the connection from the fifth read on").hasValue(2);
        assertThat(rejected("impression", "overloaded")).isEqualTo(2);
    }

    @Test
    void healthCheckIsAnsweredInItsPlaceWhileEverythingAroundItIsRefused() {
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);

        List<String> answers = EmbeddedHttp.send(channel, impression("a") + "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n" + impression("b"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 200, 503);
        assertThat(decoded).hasValue(1);
        assertThat(guard.shedRequests()).isEqualTo(2);
    }

    @Test
    void aRefusalBehindARequestInFlightWaitsForItsAnswer() {
        OverloadGuard guard = guard(1); // one request pending at most: the next is refused
        EmbeddedChannel channel = connect(guard);
        sink.holdAnswers();

        assertThat(EmbeddedHttp.send(channel, impression("a") + impression("b") + impression("c"))).isEmpty();
        assertThat(sink.submitted()).hasSize(1);
        assertThat(decoded).as("only the admitted one").hasValue(1);

        sink.releaseAll();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, ""))).containsExactly(200, 503, 503);
        assertThat(guard.pendingRequests()).isZero();
        assertThat(rejected("impression", "overloaded")).isEqualTo(2);
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, impression("d")))).containsExactly(200);
    }

    @Test
    void aRefusedSaleSkipsExactlyItsBodyAndOneWhoseBodyIsStillComingGoesToTheCodec() {
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);
        String sale = sale("order-1");
        int bodyStart = sale.indexOf("\r\n\r\n") + 4;

        // Whole: refused raw; the request after its body is read as the next request, not as body.
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, sale + impression("a")))).containsExactly(503, 503);
        assertThat(decoded).hasValue(0);

        // Its body not all here: the codec takes it, the handler refuses it, and the next is raw again.
        List<String> answers = new ArrayList<>(EmbeddedHttp.send(channel, sale.substring(0, bodyStart + 3)));
        answers.addAll(EmbeddedHttp.send(channel, sale.substring(bodyStart + 3) + impression("b")));
        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 503);
        assertThat(decoded).hasValue(1);
        assertThat(rejected("sale", "overloaded")).isEqualTo(2);
        assertThat(rejected("impression", "overloaded")).isEqualTo(2);
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void aChunkedBatchHandsTheConnectionToTheCodecWhichStillRefusesInOrder() {
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);
        String line = "{\"type\":\"i\",\"b\":7}\n";
        String chunked = "POST /events HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(line.length()) + "\r\n" + line + "\r\n0\r\n\r\n";

        List<String> answers = EmbeddedHttp.send(channel, impression("a") + chunked + impression("b"));

        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503, 503, 503);
        assertThat(decoded).as("the batch and what follows it").hasValue(2);
        assertThat(rejected("unknown", "overloaded")).isEqualTo(1); // a batch's refusal carries no event type
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void garbageGetsTheSameAnswersAsWithoutTheFramingInFront() {
        String garbage = "\u0001\u0002 not http at all\r\n\r\n";
        OverloadGuard calm = guard(1_000);
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(connect(calm), garbage + impression("a")))).containsExactly(400);

        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, garbage + impression("b"))))
                .isEqualTo(EmbeddedHttp.statuses(EmbeddedHttp.send(handlerOnly(guard), garbage + impression("b"))));
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void aHeadRequestOrOneThatClosesGetsTheHandlersAnswer() {
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel channel = connect(guard);
        overload(guard);

        List<String> head = EmbeddedHttp.send(channel, impression("a").replaceFirst("GET", "HEAD"));
        assertThat(EmbeddedHttp.statuses(head)).containsExactly(503);
        assertThat(head.get(0)).doesNotContain("overloaded"); // no body for a HEAD
        assertThat(channel.isOpen()).isTrue();

        List<String> closing = EmbeddedHttp.send(channel, impression("b").replace("Host: gw\r\n", "Host: gw\r\nConnection: close\r\n"));
        assertThat(EmbeddedHttp.statuses(closing)).containsExactly(503);
        assertThat(closing.get(0)).contains("connection: close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(decoded).hasValue(2);
    }

    @Test
    void requestsRefusedFromTheirBytesStartNoDeadlineButAHeadHeldHereDoes() {
        ConnectionLimits oneSecond = new ConnectionLimits(Duration.ofSeconds(1), Duration.ofSeconds(2), 10 * 1024, 4);
        OverloadGuard guard = guard(1_000);
        EmbeddedChannel refused = connect(guard, oneSecond);
        EmbeddedChannel trickling = connect(guard, oneSecond);
        overload(guard);

        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(refused, impression("a")))).containsExactly(503);
        EmbeddedHttp.send(trickling, impression("b").substring(0, 20));
        for (int i = 0; i < 12; i++) {
            pass(refused, Duration.ofMillis(250));
            pass(trickling, Duration.ofMillis(250));
        }

        assertThat(refused.isOpen()).as("between requests after a refusal").isTrue();
        assertThat(trickling.isOpen()).as("a head held 3 s").isFalse();
    }

    @Test
    void randomMixesSplitAtRandomGetTheSameAnswersAsOnTheHandlersPathAlone() {
        Random random = new Random(23);
        for (int round = 0; round < 600; round++) {
            boolean shed = round % 2 == 0;
            List<String> requests = new ArrayList<>();
            int n = 1 + random.nextInt(8);
            for (int k = 0; k < n; k++) {
                requests.add(anyRequest(random, round + "-" + k));
            }
            if (random.nextInt(10) == 0) {
                requests.add(impression("last-" + round).replace("Host: gw\r\n", "Host: gw\r\nConnection: close\r\n"));
            }
            String all = String.join("", requests);
            List<String> cuts = new ArrayList<>();
            for (int from = 0; from < all.length(); ) {
                int to = random.nextInt(3) == 0 ? all.length() : Math.min(all.length(), from + 1 + random.nextInt(200));
                cuts.add(all.substring(from, to));
                from = to;
            }
            OverloadGuard framed = guard(1_000);
            OverloadGuard alone = guard(1_000);
            if (shed) {
                overload(framed);
                overload(alone);
            }
            EmbeddedChannel channel = connect(framed);
            EmbeddedChannel reference = handlerOnly(alone);
            List<Integer> got = new ArrayList<>();
            List<Integer> expected = new ArrayList<>();
            for (String cut : cuts) {
                if (channel.isOpen()) {
                    got.addAll(EmbeddedHttp.statuses(EmbeddedHttp.send(channel, cut)));
                }
                if (reference.isOpen()) {
                    expected.addAll(EmbeddedHttp.statuses(EmbeddedHttp.send(reference, cut)));
                }
            }
            assertThat(got).as("round %d (%s): %s", round, shed ? "shedding" : "handling", requests).isEqualTo(expected);
            if (requests.stream().noneMatch(oddLines::contains)) { // a broken request line ends a connection, on both paths
                assertThat(got).as("round %d: every request answered", round).hasSize(requests.size());
            }
            assertThat(channel.isOpen()).isEqualTo(reference.isOpen());
            assertThat(framed.shedRequests()).isEqualTo(alone.shedRequests());
        }
    }

    /** One of the requests a beacon client, a server or a scanner sends, in the forms the framing must tell apart. */
    private final java.util.Set<String> oddLines = new java.util.HashSet<>();

    private String anyRequest(Random random, String nonce) {
        String ndjson = "{\"type\":\"i\",\"b\":7,\"p\":3,\"ts\":" + TS + ",\"n\":\"" + nonce + "\",\"sig\":\"x\"}\n";
        if (random.nextInt(8) == 0) { // a byte the request line must not carry, anywhere in the URI
            String request = impression(nonce);
            int at = 5 + random.nextInt(request.indexOf(" HTTP/") - 5);
            char odd = "\u0000\t\u000b\r\n\u007f\u0080\u00ff\u0020".charAt(random.nextInt(9));
            String broken = request.substring(0, at) + odd + request.substring(at);
            oddLines.add(broken);
            return broken;
        }
        return switch (random.nextInt(13)) {
            case 0, 1, 2 -> impression(nonce);
            case 3 -> click(nonce);
            case 4 -> impression(nonce).replaceFirst("GET", "HEAD");
            case 5 -> "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n";
            case 6 -> sale("order-" + nonce);
            case 7 -> "POST /events HTTP/1.1\r\nHost: gw\r\ncontent-length:  " + ndjson.length() + " \r\n\r\n" + ndjson;
            case 8 -> "POST /events HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(ndjson.length()) + "\r\n" + ndjson + "\r\n0\r\n\r\n";
            case 9 -> "GET /favicon.ico HTTP/1.1\r\nHost: gw\r\nUser-Agent: a\tb\r\nconnection: Keep-Alive\r\n\r\n";
            case 10 -> impression(nonce).replaceFirst("GET", "DELETE");
            case 11 -> impression(nonce).replace("HTTP/1.1\r\n", "HTTP/1.0\r\n").replace("Host: gw\r\n", "Host: gw\r\nConnection: keep-alive\r\n");
            default -> impression(nonce).replace("Host: gw\r\n", "Host: gw\r\nContent-Length: 0\r\nX-Odd: \u00e9\r\n");
        };
    }

    /** The pipeline without the framing in front of the codec: the handler's path alone. */
    private EmbeddedChannel handlerOnly(OverloadGuard guard) {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(), new LimitingAggregator(GatewayServer.Limits.defaults()),
                new BeaconHttpHandler(service, guard));
        channels.add(channel);
        return channel;
    }

    /** What the handler writes for a request the guard refuses (its path before issue 23). */
    private String handlersOverloadedAnswer() {
        OverloadGuard refusing = guard(1_000);
        overload(refusing);
        List<String> answers = EmbeddedHttp.send(handlerOnly(refusing), impression("x"));
        assertThat(answers).hasSize(1);
        return answers.get(0);
    }

    private static void pass(EmbeddedChannel channel, Duration d) {
        channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks(); // a sweep closes a connection from a task
    }

    private static String impression(String nonce) {
        return "GET /i?" + query(nonce) + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }

    private static String click(String nonce) {
        return "GET /c?" + query(nonce) + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }

    private static String sale(String order) {
        String body = "b=7&p=3&order=" + order + "&amount=12.50&ts=" + TS + "&sig=x";
        return "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body;
    }

    private static String query(String nonce) {
        StringBuilder q = new StringBuilder();
        signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)).forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(v));
        return q.toString();
    }

    private double rejected(String type, String reason) {
        Counter c = metrics.find("adgrid.gateway.events").tag("type", type).tag("outcome", "rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
