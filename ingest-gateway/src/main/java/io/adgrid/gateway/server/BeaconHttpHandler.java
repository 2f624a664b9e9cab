package io.adgrid.gateway.server;

import java.util.concurrent.CompletableFuture;
import io.adgrid.gateway.beacon.BeaconService;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

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
        CompletableFuture<FullHttpResponse> answer = tooLong(request);
        if (answer == null) {
            answer = service.handle(request, ctx.channel().remoteAddress());
        }
        CompletableFuture<FullHttpResponse> own = answer;
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

    /** Oversized lines and headers arrive as a failed decode; they get their own precise status. */
    private static CompletableFuture<FullHttpResponse> tooLong(FullHttpRequest request) {
        Throwable cause = request.decoderResult().cause();
        if (cause instanceof TooLongHttpLineException) {
            return CompletableFuture.completedFuture(empty(HttpResponseStatus.REQUEST_URI_TOO_LONG));
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return CompletableFuture.completedFuture(empty(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE));
        }
        if (cause instanceof TooLongFrameException) {
            return CompletableFuture.completedFuture(empty(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE));
        }
        return null;
    }

    private static FullHttpResponse empty(HttpResponseStatus status) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    private static void writeResponse(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        boolean close = !keepAlive || HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(response.headers().get(HttpHeaderNames.CONNECTION));
        if (!close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
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
