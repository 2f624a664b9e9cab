package io.adgrid.gateway.server;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * A deadline for each request on a connection: its headers within {@code headerTimeout} of its first
 * byte, its body within {@code bodyTimeout} of its headers; a connection that misses one is closed
 * (a slow-loris or slow-body client holds a socket and a buffer for seconds, not for ever; the idle
 * timeout alone is beaten by one byte every few seconds).
 *
 * <p>Two handlers share one per-connection state: {@link #bytes} before the HTTP codec sees the first
 * byte of a request, {@link #messages} after it sees the headers and the end. No clock is read on
 * the request path: each event loop has one sweeper that counts ticks and closes the connections of
 * its loop that are past their deadline.
 */
final class RequestDeadline {

    private static final int IDLE = -1;

    private final Sweeper.Settings settings;
    private Sweeper sweeper;
    private Channel channel;
    /** The sweeper's tick when the current request's first byte arrived, or IDLE between requests. */
    private int started = IDLE;
    /** The tick when its headers were read, or IDLE. */
    private int headersRead = IDLE;

    RequestDeadline(ConnectionLimits limits) {
        this.settings = Sweeper.Settings.of(limits);
    }

    ChannelInboundHandlerAdapter bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                register(ctx.channel());
            }

            @Override
            public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
                register(ctx.channel());
                super.channelRegistered(ctx);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                if (sweeper != null) {
                    sweeper.remove(RequestDeadline.this);
                }
                super.channelInactive(ctx);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (started == IDLE && msg instanceof ByteBuf buf && buf.isReadable() && sweeper != null) {
                    started = sweeper.tick;
                }
                super.channelRead(ctx, msg);
            }
        };
    }

    ChannelInboundHandlerAdapter messages() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (msg instanceof HttpRequest && sweeper != null) {
                    headersRead = sweeper.tick;
                    if (started == IDLE) {
                        started = headersRead;
                    }
                }
                if (msg instanceof LastHttpContent) {
                    started = IDLE;
                    headersRead = IDLE;
                }
                super.channelRead(ctx, msg);
            }
        };
    }

    /**
     * Bytes of a request the codec has not seen are held in front of it ({@link RawRefusals}): its
     * header deadline runs from now unless it already runs.
     */
    void requestStarted() {
        if (started == IDLE && sweeper != null) {
            started = sweeper.tick;
        }
    }

    /** Every request read so far was taken whole in front of the codec (refused or passed on): no deadline runs. */
    void betweenRequests() {
        started = IDLE;
        headersRead = IDLE;
    }

    private void register(Channel ch) {
        if (sweeper == null && ch.isRegistered()) {
            channel = ch;
            sweeper = Sweeper.of(ch.eventLoop(), settings);
            sweeper.add(this);
        }
    }

    /** On the sweeper's loop: true if this connection is past a deadline (and is being closed). */
    private boolean expired(int tick) {
        if (!channel.isOpen()) {
            return true;
        }
        boolean late = headersRead != IDLE ? tick - headersRead > settings.bodyTicks
                : started != IDLE && tick - started > settings.headerTicks;
        if (late) {
            // A task per close, not all in this one: thousands expiring together (a slow-loris wave)
            // must not hold the loop for the whole of it while other sockets wait.
            channel.eventLoop().execute(channel::close);
        }
        return late;
    }

    /** One per event loop: ticks, and closes its connections past their deadline. */
    static final class Sweeper {

        record Settings(long tickNanos, int headerTicks, int bodyTicks) {
            static Settings of(ConnectionLimits limits) {
                long shortest = Math.min(limits.headerTimeout().toNanos(), limits.bodyTimeout().toNanos());
                long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), shortest / 4));
                return new Settings(tick, ticks(limits.headerTimeout().toNanos(), tick), ticks(limits.bodyTimeout().toNanos(), tick));
            }

            private static int ticks(long nanos, long tick) {
                return (int) Math.max(1, (nanos + tick - 1) / tick);
            }
        }

        private static final FastThreadLocal<Sweeper> PER_LOOP = new FastThreadLocal<>();

        private final EventLoop loop;
        private final Settings settings;
        private final Set<RequestDeadline> connections = new HashSet<>();
        private int tick;

        private Sweeper(EventLoop loop, Settings settings) {
            this.loop = loop;
            this.settings = settings;
        }

        /** Runs on {@code loop}: its sweeper (gateways in one JVM with other settings get their own by first use). */
        static Sweeper of(EventLoop loop, Settings settings) {
            Sweeper s = PER_LOOP.get();
            if (s == null || s.loop != loop || !s.settings.equals(settings)) {
                s = new Sweeper(loop, settings);
                PER_LOOP.set(s);
                s.schedule();
            }
            return s;
        }

        void add(RequestDeadline connection) {
            connections.add(connection);
        }

        void remove(RequestDeadline connection) {
            connections.remove(connection);
        }

        private void schedule() {
            if (!loop.isShuttingDown()) {
                loop.schedule(this::sweep, settings.tickNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void sweep() {
            tick++;
            connections.removeIf(c -> c.expired(tick));
            schedule();
        }
    }
}
