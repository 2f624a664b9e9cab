package io.adgrid.gateway.beacon;

import java.util.concurrent.CompletableFuture;
import io.adgrid.gateway.batching.EventSink;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.gateway.validation.Validation;
import io.adgrid.grid.port.GridEvent;

/** Hands one accepted beacon to the grid and counts what the grid made of it (the pixel and sale endpoints). */
final class CountingSink {

    private final EventSink sink;
    private final GatewayMetrics metrics;

    CountingSink(EventSink sink, GatewayMetrics metrics) {
        this.sink = sink;
        this.metrics = metrics;
    }

    CompletableFuture<Outcome> submit(Validation.Accepted accepted) {
        GridEvent event = accepted.event();
        return sink.submit(event).whenComplete((outcome, error) -> {
            if (error == null) {
                metrics.outcome(event, outcome, accepted.unboundType());
            }
        });
    }
}
