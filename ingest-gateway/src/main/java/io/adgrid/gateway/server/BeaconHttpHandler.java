package io.adgrid.gateway.server;

import java.util.concurrent.CompletableFuture;
import io.adgrid.gateway.beacon.BeaconService;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Adapts {@link BeaconService} to one Netty channel. Answers are asynchronous, so they are
 * chained to go out in request order even when a client pipelines; a client that pipelines more
 * than {@link #MAX_UNANSWERED} requests is not read until it has its answers (bounded memory).
 */
public final class BeaconHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** Requests of one connection read but not yet answered, beyond which its socket is not read. */
    static final int MAX_UNANSWERED = 256;

    private final BeaconService service;
    private CompletableFuture<?> previous = CompletableFuture.completedFuture(null);
    /** Touched on the channel's event loop only. */
    private int unanswered;

    public BeaconHttpHandler(BeaconService service) {
        this.service = service;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        // Oversized and undecodable requests arrive here too, as a failed decoder result: the
        // service answers them (414, 431, 413, 400) in turn, like any other request.
        CompletableFuture<FullHttpResponse> own = service.handle(request, ctx.channel().remoteAddress());
        if (++unanswered == MAX_UNANSWERED) {
            // A client pipelining without reading answers: stop reading its socket until it catches up.
            ctx.channel().config().setAutoRead(false);
        }
        previous = previous.thenCompose(v -> own).thenAccept(response -> {
            if (ctx.executor().inEventLoop()) {
                write(ctx, response, keepAlive);
            } else {
                ctx.executor().execute(() -> write(ctx, response, keepAlive));
            }
        });
    }

    private void write(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        if (--unanswered == MAX_UNANSWERED / 2) {
            ctx.channel().config().setAutoRead(true);
        }
        writeResponse(ctx, response, keepAlive);
    }

    private static void writeResponse(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        boolean close = !keepAlive || HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(response.headers().get(HttpHeaderNames.CONNECTION));
        // Say so either way: a client reusing a connection the server closes loses its next request.
        response.headers().set(HttpHeaderNames.CONNECTION, close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
        var f = ctx.writeAndFlush(response);
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
