package io.adgrid.gateway.beacon;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import io.adgrid.event.EventType;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.Rejection;
import io.adgrid.gateway.validation.Validation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

/** {@code POST /s}: a signed sale as a form or JSON body, or in the query string; 202 accepted, 200 for a duplicate. */
final class SaleEndpoint {

    private final BeaconValidator validator;
    private final CountingSink sink;
    private final GatewayMetrics metrics;

    SaleEndpoint(BeaconValidator validator, CountingSink sink, GatewayMetrics metrics) {
        this.validator = validator;
        this.sink = sink;
        this.metrics = metrics;
    }

    CompletableFuture<FullHttpResponse> sale(FullHttpRequest request) {
        Validation v = validator.validate(EventType.SALE, params(request));
        if (v instanceof Validation.Rejected r) {
            return CompletableFuture.completedFuture(HttpAnswers.rejection(metrics.count(EventType.SALE.name(), r.rejection())));
        }
        return sink.submit((Validation.Accepted) v).thenApply(outcome -> outcome.refused()
                ? HttpAnswers.rejection(GridRefusals.refusedByGrid(outcome))
                : outcome == Outcome.DUPLICATE
                ? HttpAnswers.json(HttpResponseStatus.OK, g -> {
                    g.writeStringField("status", "duplicate");
                    g.writeBooleanField("duplicate", true);
                })
                : HttpAnswers.json(HttpResponseStatus.ACCEPTED, g -> {
                    g.writeStringField("status", "accepted");
                    g.writeBooleanField("duplicate", false);
                }));
    }

    /** Form or JSON body; or, with an empty body, the query string (what {@code ./adgrid sign s} prints). */
    private static Map<String, String> params(FullHttpRequest request) {
        ByteBuf body = request.content();
        String query = new QueryStringDecoder(request.uri()).rawQuery();
        if (!body.isReadable()) {
            return RequestParams.fromQuery(query, false);
        }
        if (!query.isEmpty()) {
            throw new BadRequestException(Rejection.malformed("ambiguous_parameters", "send parameters in the body or the query string, not both"));
        }
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        byte[] bytes = ByteBufUtil.getBytes(body);
        if (type.startsWith("application/json")) {
            return RequestParams.fromJson(bytes, 0, bytes.length);
        }
        if (type.startsWith("application/x-www-form-urlencoded")) {
            return RequestParams.fromQuery(new String(bytes, StandardCharsets.UTF_8), false);
        }
        throw new BadRequestException(new Rejection(415, "unsupported_media_type", "use application/x-www-form-urlencoded or application/json"));
    }
}
