package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, slow clients on the real pipeline ({@link GatewayServer#handlers}) over embedded channels
 * with a fake clock: a request's headers and body each have a deadline, and request bodies buffered
 * across all connections have a cap past which the next body is answered 503 with Retry-After.
 */
class SlowClientsTest {

    private static final long TS = NOW - 5_000;
    /** Header deadline 1 s, body deadline 2 s (sweeps every 250 ms), 10 KiB of bodies across all connections. */
    private static final ConnectionLimits LIMITS = new ConnectionLimits(Duration.ofSeconds(1), Duration.ofSeconds(2), 10 * 1024, 4);

    /** The overload guard reads the real clock; these tests move a fake one and are not about shedding. */
    private static final OverloadGuard.Settings NO_SHEDDING = new OverloadGuard.Settings(20_000, Duration.ZERO, 20_000, Duration.ofSeconds(60));

    private final InMemorySink sink = new InMemorySink();
    private final BeaconService service = new BeaconService(
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()), sink, () -> true,
            new SimpleMeterRegistry());
    private final GatewayServer.Guards guards = GatewayServer.Guards.of(LIMITS);
    private final List<EmbeddedChannel> channels = new java.util.ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(c -> assertThat(c.finishAndReleaseAll()).as("messages left unread").isFalse());
    }

    private EmbeddedChannel connection() {
        EmbeddedChannel channel = new EmbeddedChannel();
        GatewayServer.handlers(channel.pipeline(), GatewayServer.Limits.defaults(), service,
                new OverloadGuard(NO_SHEDDING), guards);
        channels.add(channel);
        return channel;
    }

    @Test
    void headersThatTrickleInSlowerThanTheirDeadlineCloseTheConnection() {
        EmbeddedChannel slow = connection();
        String request = impression("a");
        for (int i = 0; i < 12 && slow.isOpen(); i++) { // one byte every 250 ms: never idle, never done
            EmbeddedHttp.send(slow, request.substring(i, i + 1));
            pass(slow, Duration.ofMillis(250));
        }
        assertThat(slow.isOpen()).as("open after 3 s of headers").isFalse();
        assertThat(sink.counted()).isEmpty();
    }

    @Test
    void aBodyThatTricklesInSlowerThanItsDeadlineClosesTheConnection() {
        EmbeddedChannel slow = connection();
        EmbeddedHttp.send(slow, "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\n");
        for (int i = 0; i < 16 && slow.isOpen(); i++) {
            EmbeddedHttp.send(slow, "{");
            pass(slow, Duration.ofMillis(250));
        }
        assertThat(slow.isOpen()).as("open after 4 s of body").isFalse();
        assertThat(guards.budget().used()).as("budget given back").isZero();
    }

    @Test
    void aKeepAliveConnectionBetweenRequestsHasNoDeadline() {
        EmbeddedChannel client = connection();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(client, impression("a")))).containsExactly(200);
        pass(client, Duration.ofSeconds(5));
        assertThat(client.isOpen()).isTrue();
        List<String> second = EmbeddedHttp.send(client, impression("b"));
        assertThat(EmbeddedHttp.statuses(second)).as(second.toString()).containsExactly(200);
    }

    @Test
    void aBodyOverWhatIsLeftOfTheBufferCapIsAnswered503WithRetryAfterAndOthersStillWork() {
        EmbeddedChannel holder = connection();
        EmbeddedHttp.send(holder, "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: 8000\r\n\r\n{}\n");
        assertThat(guards.budget().used()).isEqualTo(8000);

        EmbeddedChannel next = connection();
        String lines = "{}\n".repeat(1000);
        List<String> answers = EmbeddedHttp.send(next, "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: " + lines.length()
                + "\r\n\r\n" + lines);
        assertThat(EmbeddedHttp.statuses(answers)).containsExactly(503);
        assertThat(answers.get(0)).containsIgnoringCase("retry-after: 1").containsIgnoringCase("connection: close");
        assertThat(next.isOpen()).isFalse();

        EmbeddedChannel beacons = connection();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(beacons, impression("a")))).as("bodiless beacons").containsExactly(200);

        holder.close();
        EmbeddedChannel after = connection();
        assertThat(EmbeddedHttp.statuses(EmbeddedHttp.send(after, "POST /events HTTP/1.1\r\nHost: gw\r\nContent-Length: "
                + lines.length() + "\r\n\r\n" + lines))).as("once the holder is gone").containsExactly(200);
        assertThat(guards.budget().used()).isZero();
    }

    @Test
    void oneAddressMayHoldOnlyItsShareOfConnections() throws Exception {
        ConnectionsPerAddress perAddress = new ConnectionsPerAddress(2);
        InetAddress one = InetAddress.getByName("192.0.2.1");
        InetAddress other = InetAddress.getByName("192.0.2.2");
        assertThat(perAddress.opened(one)).isTrue();
        assertThat(perAddress.opened(one)).isTrue();
        assertThat(perAddress.opened(one)).isFalse();
        assertThat(perAddress.opened(other)).isTrue();
        perAddress.closed(one);
        assertThat(perAddress.opened(one)).isTrue();
        assertThat(perAddress.refused()).isEqualTo(1);
    }

    private static void pass(EmbeddedChannel channel, Duration time) {
        for (long left = time.toMillis(); left > 0; left -= 50) {
            channel.advanceTimeBy(50, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
        }
    }

    private static String impression(String nonce) {
        StringBuilder q = new StringBuilder();
        signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)).forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(v));
        return "GET /i?" + q + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }
}
