package io.adgrid.gateway.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.event.EventType;
import org.junit.jupiter.api.Test;

class GatedEventSinkTest {

    private final InMemorySink grid = new InMemorySink();
    private final AtomicBoolean open = new AtomicBoolean();
    private final GatedEventSink gated = new GatedEventSink(grid, open::get);
    private final GridEvent event = new GridEvent(EventType.IMPRESSION, 1, 7, 3, 60_000, 11, 12, null, 0);

    @Test
    void aClosedGateRefusesWithoutReachingTheGrid() {
        CompletableFuture<EventSink.Outcome> answer = gated.submit(event);

        assertThatThrownBy(answer::join).hasCauseInstanceOf(GatedEventSink.GridRecoveringException.class);
        assertThat(grid.submitted()).isEmpty();
    }

    @Test
    void anOpenGatePassesEventsToTheGrid() {
        open.set(true);

        assertThat(gated.submit(event).join()).isEqualTo(EventSink.Outcome.COUNTED);
        assertThat(grid.counted()).containsExactly(event);
    }
}
