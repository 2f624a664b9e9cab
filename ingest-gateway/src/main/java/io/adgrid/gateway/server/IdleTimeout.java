package io.adgrid.gateway.server;

import java.util.concurrent.TimeUnit;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Closes a connection on which nothing was read or written for the timeout (between 1 and 1.25
 * times it): an idle keep-alive client, or one that opened a connection and sends nothing, does not
 * hold a socket and its memory for ever. Checks four times per timeout on the channel's event loop,
 * by the loop's own clock (no per-read timestamp).
 */
final class IdleTimeout extends ChannelDuplexHandler {

    static final int CHECKS = 4;

    private final long checkNanos;
    private boolean active;
    private int quietChecks;
    private ScheduledFuture<?> check;

    IdleTimeout(long timeoutNanos) {
        this.checkNanos = Math.max(1, timeoutNanos / CHECKS);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            schedule(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        schedule(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        active = true;
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        active = true;
        super.write(ctx, msg, promise);
    }

    private void schedule(ChannelHandlerContext ctx) {
        if (check == null) {
            check = ctx.executor().schedule(() -> check(ctx), checkNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check(ChannelHandlerContext ctx) {
        check = null;
        if (!ctx.channel().isOpen()) {
            return;
        }
        quietChecks = active ? 0 : quietChecks + 1;
        active = false;
        if (quietChecks >= CHECKS) {
            ctx.close();
            return;
        }
        schedule(ctx);
    }

    private void cancel() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }
}
