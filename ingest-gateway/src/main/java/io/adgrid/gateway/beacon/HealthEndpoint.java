package io.adgrid.gateway.beacon;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/** {@code GET /healthz}: 200 UP when the gateway can take beacons, else 503 DOWN with why. */
final class HealthEndpoint {

    private final BooleanSupplier ready;
    private volatile Supplier<String> downReason = () -> null;

    HealthEndpoint(BooleanSupplier ready) {
        this.ready = ready;
    }

    /** What it says when DOWN (why it is not ready); null says nothing more. */
    void downReason(Supplier<String> why) {
        this.downReason = why;
    }

    FullHttpResponse health() {
        boolean up = ready.getAsBoolean();
        String why = up ? null : downReason.get();
        return HttpAnswers.json(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, g -> {
            g.writeStringField("status", up ? "UP" : "DOWN");
            if (why != null) {
                g.writeStringField("reason", why);
            }
        });
    }
}
