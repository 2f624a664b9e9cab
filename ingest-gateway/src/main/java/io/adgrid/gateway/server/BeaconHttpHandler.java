package io.adgrid.gateway.server;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.route.Route;
import io.adgrid.gateway.route.RoutedRequest;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Adapts {@link BeaconService} to one Netty channel: takes each request with the {@link Route} the
 * aggregator resolved from its head ({@link RoutedRequest}). Answers are asynchronous, so they are
 * chained to go out in request order even when a client pipelines; a client that pipelines more
 * than {@link #MAX_UNANSWERED} requests is not read until it has its answers (bounded memory).
 * Each request read is first put to the {@link OverloadGuard}: one it refuses is answered 503 with
 * {@code Retry-After} without being handled ({@code /healthz} is always handled). A request the
 * {@link RawRefusals} in front of the codec already put to the guard comes with that decision.
 */
public final class BeaconHttpHandler extends SimpleChannelInboundHandler<Object> {

    /** Requests of one connection read but not yet answered, beyond which its socket is not read. */
    static final int MAX_UNANSWERED = 256;
    private static final long NOT_ADMITTED = Long.MIN_VALUE;

    private final BeaconService service;
    private final OverloadGuard guard;
    private final RawRefusals front;
    /**
     * Requests read and not yet answered, oldest first; touched on the channel's event loop only.
     * An answer is written when it and every answer before it are ready, so answers that complete
     * out of order (one from the grid, the next at once) still go out in request order.
     */
    private final ArrayDeque<Slot> unanswered = new ArrayDeque<>();

    /** One request's place in the answer order. */
    private static final class Slot {
        final boolean keepAlive;
        /** When the guard admitted it, or {@link #NOT_ADMITTED}. */
        final long admittedNanos;
        /** A {@code POST /events} batch: its answer time is no overload signal. */
        final boolean batch;
        FullHttpResponse response;

        Slot(boolean keepAlive, long admittedNanos, boolean batch) {
            this.keepAlive = keepAlive;
            this.admittedNanos = admittedNanos;
            this.batch = batch;
        }
    }

    /** Without load shedding of its own (the default guard's limits). */
    public BeaconHttpHandler(BeaconService service) {
        this(service, new OverloadGuard(OverloadGuard.Settings.defaults()));
    }

    public BeaconHttpHandler(BeaconService service, OverloadGuard guard) {
        this(service, guard, null);
    }

    /** @param front decides on requests in front of the codec; null: every request is decided here */
    BeaconHttpHandler(BeaconService service, OverloadGuard guard, RawRefusals front) {
        this.service = service;
        this.guard = guard;
        this.front = front;
    }

    @Override
    public boolean acceptInboundMessage(Object msg) {
        return msg instanceof RoutedRequest || msg instanceof FullHttpRequest;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof RoutedRequest routed) {
            read(ctx, routed.route(), routed.request());
        } else {
            // Not through the aggregator: one Netty could not decode (whole already, it passes it by), so its route is resolved here.
            FullHttpRequest request = (FullHttpRequest) msg;
            read(ctx, Route.of(request.uri()), request);
        }
    }

    private void read(ChannelHandlerContext ctx, Route route, FullHttpRequest request) {
        if (front != null && !request.decoderResult().isSuccess()) {
            front.undecodable();
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        long decided = front == null ? RawRefusals.UNDECIDED : front.takeDecision();
        long readNanos = decided == RawRefusals.UNDECIDED ? guard.nanoTime() : decided;
        boolean refused = decided == RawRefusals.REFUSED
                || decided == RawRefusals.UNDECIDED && route != Route.HEALTH && !guard.admit(readNanos);
        boolean admitted = !refused && route != Route.HEALTH && decided != RawRefusals.UNADMITTED;
        Slot slot;
        CompletableFuture<FullHttpResponse> own;
        if (refused) {
            // Overloaded: answered without being handled (no signature check, no grid call).
            slot = new Slot(keepAlive, NOT_ADMITTED, false);
            own = CompletableFuture.completedFuture(service.overloaded(route));
        } else {
            slot = new Slot(keepAlive, admitted ? readNanos : NOT_ADMITTED, route == Route.EVENTS);
            // Oversized and undecodable requests arrive here too, as a failed decoder result: the
            // service answers them (414, 431, 413, 400) in turn, like any other request.
            own = service.handle(route, request, ctx.channel().remoteAddress());
        }
        unanswered.add(slot);
        if (unanswered.size() == MAX_UNANSWERED) {
            // A client pipelining without reading answers: stop reading its socket until it catches up.
            ctx.channel().config().setAutoRead(false);
        }
        own.thenAccept(response -> {
            if (ctx.executor().inEventLoop()) {
                answer(ctx, slot, response);
            } else {
                ctx.executor().execute(() -> answer(ctx, slot, response));
            }
        });
    }

    /** On the event loop: {@code slot}'s answer is ready; writes every ready answer at the head of the order. */
    private void answer(ChannelHandlerContext ctx, Slot slot, FullHttpResponse response) {
        slot.response = response;
        Slot head;
        while ((head = unanswered.peek()) != null && head.response != null) {
            unanswered.poll();
            if (head.batch) {
                guard.answeredBatch();
            } else if (head.admittedNanos != NOT_ADMITTED) {
                guard.answered(head.admittedNanos, guard.nanoTime());
            }
            if (unanswered.size() == MAX_UNANSWERED / 2) {
                ctx.channel().config().setAutoRead(true);
            }
            writeResponse(ctx, head.response, head.keepAlive);
        }
    }

    private void writeResponse(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        boolean close = !keepAlive || response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
        // Say so either way: a client reusing a connection the server closes loses its next request.
        response.headers().set(HttpHeaderNames.CONNECTION, close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
        var f = ctx.write(response);
        if (front != null) {
            front.answered(); // the refusals that waited behind this answer go out right after it, in the same flush
        }
        ctx.flush();
        if (close) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset connection or garbage on the wire: nothing to answer, nothing to log loudly.
        ctx.close();
    }
}
