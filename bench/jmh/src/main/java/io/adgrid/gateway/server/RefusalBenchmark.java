package io.adgrid.gateway.server;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import io.adgrid.bench.BenchCatalog;
import io.adgrid.gateway.batching.EventSink;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.grid.port.GridEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a refusal costs against a served request (issue 23, "cheap refusals"), on one gateway
 * connection's real pipeline over an {@link EmbeddedChannel} (no socket, so no system calls in any
 * of them): raw request bytes in, answer bytes out and released. {@code baseline} serves distinct
 * signed impressions of the demo catalog (the real {@link BeaconService} and validator; the grid is
 * a sink that answers "counted" at once, so no grid call or batching is in it). {@code refusedRaw}
 * refuses them with the guard shedding everything ({@link RawRefusals}, in front of the codec);
 * {@code refusedHandler} refuses them on the path before issue 23 (the codec, the aggregator, then
 * the guard in {@link BeaconHttpHandler}); {@code servedHandler} serves them on that path (what the
 * framing in front of the codec adds to a served request); {@code harness} is the embedded channel
 * alone (a read in, a constant answer out), which every score includes. {@code pipelined} requests
 * arrive in one read; the score is per read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RefusalBenchmark {

    private static final int REQUESTS = 4096;
    private static final long NOW = 1_795_000_000_000L;

    @Param({"1", "16"})
    public int pipelined;

    private BenchCatalog catalog;
    private byte[][] reads;
    private int next;
    private EmbeddedChannel served;
    private EmbeddedChannel servedHandler;
    private EmbeddedChannel refusedRaw;
    private EmbeddedChannel refusedHandler;
    private EmbeddedChannel harness;

    /** The grid, answering at once. */
    private static final class CountingAtOnce implements EventSink {
        private static final CompletableFuture<Outcome> COUNTED = CompletableFuture.completedFuture(Outcome.COUNTED);

        @Override
        public CompletableFuture<Outcome> submit(GridEvent event) {
            return COUNTED;
        }
    }

    @Setup
    public void setUp() {
        catalog = BenchCatalog.demo();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        reads = new byte[REQUESTS][];
        for (int i = 0; i < REQUESTS; i++) {
            StringBuilder read = new StringBuilder();
            for (int k = 0; k < pipelined; k++) {
                long banner = random.nextLong(1, BenchCatalog.BANNERS + 1);
                long publisher = random.nextLong(1, BenchCatalog.PUBLISHERS + 1);
                String nonce = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
                // as bench/OpenLoad.java sends them
                read.append("GET ").append(catalog.signedImpressionUri(banner, publisher, NOW - random.nextLong(0, 600_000), nonce))
                        .append(" HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
            }
            reads[i] = read.toString().getBytes(StandardCharsets.US_ASCII);
        }
        served = connection(never(), false);
        servedHandler = connection(never(), true);
        refusedRaw = connection(shedding(), false);
        refusedHandler = connection(shedding(), true);
        harness = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            private final ByteBuf answer = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes("HTTP/1.1 503 \r\n\r\n"
                    .repeat(pipelined).getBytes(StandardCharsets.US_ASCII)));

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ((ByteBuf) msg).release();
                ctx.writeAndFlush(answer.duplicate());
            }
        });
        check(harness, "HTTP/1.1 503 ");
        check(served, "HTTP/1.1 200 ");
        check(servedHandler, "HTTP/1.1 200 ");
        check(refusedRaw, "HTTP/1.1 503 ");
        check(refusedHandler, "HTTP/1.1 503 ");
    }

    /** A guard that never sheds (no delay limit), on a clock that stands still. */
    private static OverloadGuard never() {
        return new OverloadGuard(new OverloadGuard.Settings(1 << 30, Duration.ZERO, 10, Duration.ZERO), () -> 0L);
    }

    /** A guard that sheds everything: a queue and delayed windows, then a clock that stands still. */
    private static OverloadGuard shedding() {
        long[] now = {0};
        OverloadGuard guard = new OverloadGuard(new OverloadGuard.Settings(1 << 30, Duration.ofMillis(200), 10, Duration.ZERO, 1),
                () -> now[0]);
        guard.admit(0);
        for (int i = 0; i < 12; i++) {
            now[0] += OverloadGuard.WINDOW_NANOS;
            guard.delayed(Duration.ofSeconds(2).toNanos(), now[0]);
        }
        if (guard.admittedShare() != 0) {
            throw new IllegalStateException("the guard still handles " + guard.admittedShare());
        }
        return guard;
    }

    private EmbeddedChannel connection(OverloadGuard guard, boolean handlerPath) {
        EmbeddedChannel channel = new EmbeddedChannel();
        BeaconService service = new BeaconService(catalog.validator(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC)),
                new CountingAtOnce(), () -> true, new SimpleMeterRegistry());
        GatewayServer.Limits limits = GatewayServer.Limits.defaults();
        if (!handlerPath) {
            GatewayServer.handlers(channel.pipeline(), limits, service, guard);
        } else {
            // GatewayServer.handlers as it was before issue 23 (no idle timeout: 0 here too)
            RequestDeadline deadline = new RequestDeadline(ConnectionLimits.defaults());
            channel.pipeline()
                    .addLast(new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false))
                    .addLast(deadline.bytes())
                    .addLast(new HttpServerCodec(limits.maxUrlLength() + GatewayServer.REQUEST_LINE_EXTRA, limits.maxHeaderBytes(), 64 * 1024))
                    .addLast(deadline.messages())
                    .addLast(new LimitingAggregator(limits))
                    .addLast(new BeaconHttpHandler(service, guard));
        }
        return channel;
    }

    private void check(EmbeddedChannel channel, String status) {
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(reads[0]);
        channel.writeInbound(in);
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        int answers = out.toString().split("HTTP/1\\.1 ", -1).length - 1;
        if (!out.toString().startsWith(status) || answers != pipelined || out.toString().split(status, -1).length - 1 != pipelined) {
            throw new IllegalStateException("expected " + pipelined + " x " + status + ", got: " + out);
        }
    }

    /** One read of {@code pipelined} requests in, every answer out: the bytes written. */
    private int read(EmbeddedChannel channel) {
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(reads[0].length).writeBytes(reads[next++ & (REQUESTS - 1)]);
        channel.writeInbound(in);
        int bytes = 0;
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            bytes += b.readableBytes();
            b.release();
        }
        return bytes;
    }

    @TearDown
    public void tearDown() {
        served.finishAndReleaseAll();
        servedHandler.finishAndReleaseAll();
        refusedRaw.finishAndReleaseAll();
        refusedHandler.finishAndReleaseAll();
        harness.finishAndReleaseAll();
        catalog.close();
    }

    @Benchmark
    public int baseline() {
        return read(served);
    }

    @Benchmark
    public int servedHandler() {
        return read(servedHandler);
    }

    @Benchmark
    public int refusedRaw() {
        return read(refusedRaw);
    }

    /** The embedded channel alone: a read in, one constant answer out (what every other score includes). */
    @Benchmark
    public int harness() {
        return read(harness);
    }

    @Benchmark
    public int refusedHandler() {
        return read(refusedHandler);
    }
}
