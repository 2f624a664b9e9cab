package io.adgrid.gateway.route;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.ReferenceCounted;

/**
 * A whole request with the {@link Route} resolved from its head, as the aggregator passes it on.
 * Reference counted as its request is, so Netty releases it like any message.
 */
public record RoutedRequest(Route route, FullHttpRequest request) implements ReferenceCounted {

    @Override
    public int refCnt() {
        return request.refCnt();
    }

    @Override
    public RoutedRequest retain() {
        request.retain();
        return this;
    }

    @Override
    public RoutedRequest retain(int increment) {
        request.retain(increment);
        return this;
    }

    @Override
    public RoutedRequest touch() {
        request.touch();
        return this;
    }

    @Override
    public RoutedRequest touch(Object hint) {
        request.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return request.release();
    }

    @Override
    public boolean release(int decrement) {
        return request.release(decrement);
    }
}
