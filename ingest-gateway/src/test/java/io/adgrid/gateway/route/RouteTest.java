package io.adgrid.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.adgrid.event.EventType;
import org.junit.jupiter.api.Test;

/** A request's route is its path up to a {@code ?}: the same answer the endpoints, the body limit and the metrics once decided apart. */
class RouteTest {

    @Test
    void thePathWithOrWithoutAQueryNamesTheRoute() {
        assertThat(Route.of("/i?ts=1&sig=x")).isEqualTo(Route.IMPRESSION);
        assertThat(Route.of("/i")).isEqualTo(Route.IMPRESSION);
        assertThat(Route.of("/c?")).isEqualTo(Route.CLICK);
        assertThat(Route.of("/s")).isEqualTo(Route.SALE);
        assertThat(Route.of("/s?amount=1")).isEqualTo(Route.SALE);
        assertThat(Route.of("/events")).isEqualTo(Route.EVENTS);
        assertThat(Route.of("/events?x=1")).isEqualTo(Route.EVENTS);
        assertThat(Route.of("/healthz")).isEqualTo(Route.HEALTH);
    }

    @Test
    void aLongerPathAFragmentOrAnAbsoluteUriIsNoRoute() {
        for (String uri : new String[] {"/index.html", "/i/", "/i#x", "/ix?a=1", "/eventsX", "/events/1", "/healthzz", "/health",
                                        "http://gw/i?x=1", "*", "", "/", "/bad-request", "/S", "/I?x"}) {
            assertThat(Route.of(uri)).as(uri).isEqualTo(Route.UNKNOWN);
        }
    }

    @Test
    void metricTagsAreFixedPerRoute() {
        assertThat(Route.IMPRESSION.typeTag()).isEqualTo("IMPRESSION");
        assertThat(Route.SALE.eventType()).isEqualTo(EventType.SALE);
        assertThat(Route.EVENTS.typeTag()).isEqualTo("unknown");
        assertThat(Route.UNKNOWN.typeTag()).isEqualTo("unknown");
        assertThat(Route.CLICK.latencyTag()).isEqualTo("c");
        assertThat(Route.EVENTS.latencyTag()).isEqualTo("events");
        assertThat(Route.HEALTH.latencyTag()).isEqualTo("other");
        assertThat(Route.UNKNOWN.latencyTag()).isEqualTo("other");
    }
}
