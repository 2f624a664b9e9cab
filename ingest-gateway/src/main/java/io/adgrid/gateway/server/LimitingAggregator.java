package io.adgrid.gateway.server;

import java.util.List;
import io.adgrid.gateway.beacon.OverBudgetException;
import io.adgrid.gateway.route.Route;
import io.adgrid.gateway.route.RoutedRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * Netty's aggregator with the gateway's {@link GatewayServer.Limits} per path: {@code /events}
 * may carry {@code maxBodyBytes}, every other request {@code maxSaleBodyBytes}. A request over a
 * limit is not answered here (Netty would write a bare 413 out of turn) but passed on as a request
 * whose decoder result is a failure, so the beacon handler answers it in request order, with a
 * reason, and counts it. Each request's {@link Route} is resolved here, once, from its head, and
 * passed on with it ({@link RoutedRequest}).
 */
final class LimitingAggregator extends HttpObjectAggregator {

    private final GatewayServer.Limits limits;
    private final BufferBudget budget;
    private ChannelHandlerContext ctx;
    /** The route of the request being aggregated, from its head. */
    private Route route = Route.UNKNOWN;
    /** Bytes of the global {@link BufferBudget} this connection holds for the body being aggregated. */
    private long held;
    /** The request whose declared body did not fit in the budget (answered 503). */
    private HttpMessage overBudget;
    private HttpMessage checked;
    private boolean checkedInvalid;

    LimitingAggregator(GatewayServer.Limits limits) {
        this(limits, new BufferBudget(Long.MAX_VALUE));
    }

    LimitingAggregator(GatewayServer.Limits limits, BufferBudget budget) {
        super(Math.max(limits.maxBodyBytes(), limits.maxSaleBodyBytes()));
        this.limits = limits;
        this.budget = budget;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        release();
        super.handlerRemoved(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release();
        super.channelInactive(ctx);
    }

    private void release() {
        budget.release(held);
        held = 0;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) throws Exception {
        if (msg instanceof HttpRequest request) {
            route = Route.of(request.uri()); // the head: everything below and after reads the route from here
        }
        int from = out.size();
        super.decode(ctx, msg, out);
        for (int i = from; i < out.size(); i++) {
            if (out.get(i) instanceof FullHttpRequest request) {
                out.set(i, new RoutedRequest(route, request));
            }
        }
    }

    /** {@code /events} may carry batches; every other body (a sale) is small. */
    private int bodyLimit() {
        return route == Route.EVENTS ? limits.maxBodyBytes() : limits.maxSaleBodyBytes();
    }

    /** A declared length over the path's limit: answered before a byte of the body is read. */
    @Override
    protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
        if (start == checked) {
            return checkedInvalid; // asked again for the same request by newContinueResponse
        }
        checked = start;
        long declared;
        try {
            declared = HttpUtil.getContentLength(start, -1L);
        } catch (NumberFormatException e) {
            declared = -1;
        }
        checkedInvalid = declared > bodyLimit();
        if (!checkedInvalid && declared > 0) {
            // A declared body takes its whole length from the budget before a byte of it is read, so
            // slow bodies cannot add up to more than the cap however slowly they come.
            release();
            if (budget.tryReserve(declared)) {
                held = declared;
            } else {
                overBudget = start;
                checkedInvalid = true;
            }
        }
        return checkedInvalid;
    }

    /**
     * {@code Expect: 100-continue} with a declared body over its limit: no 100 (the client must not
     * send the body); the 413 answers in turn instead of Netty's bare 417, and closes the connection
     * because the body may never come.
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        if (HttpUtil.is100ContinueExpected(start) && isContentLengthInvalid(start, maxContentLength)) {
            return null;
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }

    @Override
    protected FullHttpMessage beginAggregation(HttpMessage start, ByteBuf content) throws Exception {
        FullHttpMessage message = super.beginAggregation(start, content);
        if (start.decoderResult().isSuccess() && start instanceof HttpRequest request && request.uri().length() > limits.maxUrlLength()) {
            message.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException("URL longer than " + limits.maxUrlLength())));
        }
        return message;
    }

    /** A chunked body (no declared length) over the path's limit; the global limit bounds what is held. */
    @Override
    protected void aggregate(FullHttpMessage aggregated, HttpContent content) throws Exception {
        super.aggregate(aggregated, content);
        int bytes = content.content().readableBytes();
        if (bytes > 0 && (!HttpUtil.isContentLengthSet(aggregated) || HttpUtil.isTransferEncodingChunked(aggregated))) {
            if (budget.tryReserve(bytes)) {
                held += bytes;
            } else if (ctx != null) {
                // A chunked body cannot be refused before it comes: past the cap its connection is closed.
                ctx.close();
            }
        }
        if (aggregated.decoderResult().isSuccess() && aggregated.content().readableBytes() > bodyLimit()) {
            aggregated.setDecoderResult(DecoderResult.failure(new TooLongHttpContentException("body over " + bodyLimit() + " bytes")));
        }
    }

    @Override
    protected void finishAggregation(FullHttpMessage aggregated) throws Exception {
        super.finishAggregation(aggregated);
        // Held while the body arrives; from here the pending-request cap bounds what is in hand.
        release();
    }

    /** Netty would answer a bodiless 413 itself, out of turn and uncounted; the handler answers instead. */
    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest request)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        FullHttpRequest tooLarge = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(), Unpooled.EMPTY_BUFFER);
        tooLarge.headers().set(request.headers());
        if (oversized == overBudget) {
            overBudget = null;
            // The body is discarded as it comes; the answer is 503 + Retry-After and the connection closes.
            tooLarge.setDecoderResult(DecoderResult.failure(new OverBudgetException("request bodies buffered over the gateway's cap")));
            ctx.fireChannelRead(new RoutedRequest(route, tooLarge));
            return;
        }
        String why = "body over " + bodyLimit() + " bytes";
        // The rest of a body that comes is discarded by the aggregator, so the connection stays
        // usable (TooLongHttpContentException); one that was asked to wait for a 100 may never come.
        tooLarge.setDecoderResult(DecoderResult.failure(HttpUtil.is100ContinueExpected(request)
                ? new TooLongFrameException(why) : new TooLongHttpContentException(why)));
        ctx.fireChannelRead(new RoutedRequest(route, tooLarge));
    }
}
