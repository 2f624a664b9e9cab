package io.adgrid.gateway.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import io.adgrid.gateway.beacon.BeaconService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The beacon port: plain Netty, because the beacon path is the hot path (see shared/STACK.md:
 * raw Netty answers about 1.4x what a WebFlux controller does on this box).
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    /**
     * Request size limits, each answered with its own status before the request is parsed: a URL
     * (path and query) longer than {@code maxUrlLength} characters {@code 414}; request headers
     * over {@code maxHeaderBytes} {@code 431}; an {@code /events} body over {@code maxBodyBytes} or
     * any other body (a sale) over {@code maxSaleBodyBytes} {@code 413}. A body whose declared
     * length is over its limit is not read at all.
     */
    public record Limits(int maxUrlLength, int maxHeaderBytes, int maxBodyBytes, int maxSaleBodyBytes) {
        public Limits {
            if (maxUrlLength < 64 || maxHeaderBytes < 256 || maxBodyBytes < 1024 || maxSaleBodyBytes < 1024) {
                throw new IllegalArgumentException("gateway limits too small: " + maxUrlLength + " URL, " + maxHeaderBytes
                        + " header bytes, " + maxBodyBytes + " body bytes, " + maxSaleBodyBytes + " sale body bytes");
            }
        }

        public static Limits defaults() {
            return new Limits(2048, 8192, 4 * 1024 * 1024, 16 * 1024);
        }
    }

    /** Room for the method and the HTTP version around the URL in a request line. */
    static final int REQUEST_LINE_EXTRA = 64;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;
    private final Guards guards;

    private GatewayServer(EventLoopGroup boss, EventLoopGroup workers, Channel channel, Guards guards) {
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
        this.guards = guards;
    }

    /** The per-connection defences every connection of one server shares (issue 20). */
    record Guards(ConnectionLimits limits, BufferBudget budget, ConnectionsPerAddress perAddress) {
        static Guards of(ConnectionLimits limits) {
            return new Guards(limits, new BufferBudget(limits.maxBufferedBytes()), new ConnectionsPerAddress(limits.maxConnectionsPerAddress()));
        }
    }

    /** How often each event loop is probed for its delay (see {@link OverloadGuard}). */
    static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** With the default overload settings. */
    public static GatewayServer start(String host, int port, int threads, Limits limits, BeaconService service) {
        return start(host, port, threads, limits, service, new OverloadGuard(OverloadGuard.Settings.defaults()));
    }

    public static GatewayServer start(String host, int port, int threads, Limits limits, BeaconService service,
                                      OverloadGuard guard) {
        return start(host, port, threads, limits, service, guard, ConnectionLimits.defaults());
    }

    public static GatewayServer start(String host, int port, int threads, Limits limits, BeaconService service,
                                      OverloadGuard guard, ConnectionLimits connectionLimits) {
        Guards guards = Guards.of(connectionLimits);
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup boss = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
        EventLoopGroup workers = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connection(ch, limits, service, guard, guards);
                        }
                    })
                    .bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
            for (EventExecutor loop : workers) {
                probe(loop, guard, guard.nanoTime() + PROBE_NANOS);
            }
            log.info("ingest gateway listening on {}:{} ({} threads, {})", host, ((InetSocketAddress) channel.localAddress()).getPort(), threads, epoll ? "epoll" : "nio");
            return new GatewayServer(boss, workers, channel, guards);
        } catch (RuntimeException e) {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs on {@code loop} about every {@link #PROBE_NANOS}, telling the guard how late it ran: a
     * socket that became readable waits about as long before the loop reads it.
     */
    private static void probe(EventExecutor loop, OverloadGuard guard, long dueNanos) {
        long now = guard.nanoTime();
        guard.delayed(Math.max(0, now - dueNanos), now);
        try {
            loop.schedule(() -> probe(loop, guard, now + PROBE_NANOS), PROBE_NANOS, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the loop is shutting down
        }
    }

    /**
     * A connection was accepted: over the connection cap it is closed before anything is read;
     * otherwise it gets its handlers and counts until it closes.
     */
    static void connection(Channel ch, Limits limits, BeaconService service, OverloadGuard guard) {
        connection(ch, limits, service, guard, Guards.of(ConnectionLimits.defaults()));
    }

    static void connection(Channel ch, Limits limits, BeaconService service, OverloadGuard guard, Guards guards) {
        InetAddress client = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (!guards.perAddress().opened(client)) {
            ch.close();
            return;
        }
        if (!guard.connectionOpened()) {
            guards.perAddress().closed(client);
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> {
            guard.connectionClosed();
            guards.perAddress().closed(client);
        });
        handlers(ch.pipeline(), limits, service, guard, guards);
    }

    /** The handlers of one connection with the default overload settings. */
    static void handlers(ChannelPipeline pipeline, Limits limits, BeaconService service) {
        handlers(pipeline, limits, service, new OverloadGuard(OverloadGuard.Settings.defaults()));
    }

    /** The handlers of one connection: idle timeout, HTTP codec, size limits and aggregation, beacon handler. */
    static void handlers(ChannelPipeline pipeline, Limits limits, BeaconService service, OverloadGuard guard) {
        handlers(pipeline, limits, service, guard, Guards.of(ConnectionLimits.defaults()));
    }

    /**
     * The handlers of one connection: idle timeout, request deadlines, refusals from raw bytes, HTTP
     * codec, size limits and aggregation under the global buffer cap, beacon handler.
     */
    static void handlers(ChannelPipeline pipeline, Limits limits, BeaconService service, OverloadGuard guard, Guards guards) {
        RequestDeadline deadline = new RequestDeadline(guards.limits());
        long idleNanos = guard.settings().idleTimeout().toNanos();
        if (idleNanos > 0) {
            pipeline.addLast(new IdleTimeout(idleNanos));
        }
        // Answers written while a read is in progress (503s, refusals) go out in one flush at its end.
        pipeline.addLast(new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false));
        pipeline.addLast(deadline.bytes());
        // Overloaded: refused from the raw bytes, before the codec (issue 23: a fraction of the codec's path).
        RawRefusals refusals = new RawRefusals(guard, service, deadline, limits);
        pipeline.addLast(refusals.front());
        pipeline.addLast(new HttpServerCodec(limits.maxUrlLength() + REQUEST_LINE_EXTRA, limits.maxHeaderBytes(), 64 * 1024))
                .addLast(deadline.messages())
                // answers Expect: 100-continue itself, refusing an oversized body without a 100
                .addLast(new LimitingAggregator(limits, guards.budget()))
                .addLast(new BeaconHttpHandler(service, guard, refusals));
    }

    /** Bytes of request bodies held now while they arrive, across all connections. */
    public long bufferedBodyBytes() {
        return guards.budget().used();
    }

    /** Requests answered 503 (or chunked connections closed) because the buffer cap was reached. */
    public long overBudgetRefusals() {
        return guards.budget().refused();
    }

    /** Connections closed at once because their client address had its cap of open connections. */
    public long perAddressRefusals() {
        return guards.perAddress().refused();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting connections; requests already read are answered by the workers. */
    public void stopAccepting() {
        channel.close().syncUninterruptibly();
    }

    @Override
    public void close() {
        stopAccepting();
        boss.shutdownGracefully().syncUninterruptibly();
        workers.shutdownGracefully().syncUninterruptibly();
    }
}
