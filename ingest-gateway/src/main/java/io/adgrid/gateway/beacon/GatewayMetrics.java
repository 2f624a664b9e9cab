package io.adgrid.gateway.beacon;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import io.adgrid.event.EventType;
import io.adgrid.gateway.batching.EventSink.Outcome;
import io.adgrid.gateway.route.Route;
import io.adgrid.gateway.validation.Rejection;
import io.adgrid.grid.port.GridEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What the gateway counts: every outcome in {@code adgrid.gateway.events} by type, outcome and
 * reason code; clicks counted as suspect also in {@code adgrid.gateway.suspect.clicks} by reason;
 * beacons of known robots counted as invalid also in {@code adgrid.gateway.invalid.events} by reason;
 * the time to each answer in {@code adgrid.gateway.latency} by endpoint. Tags are fixed strings or
 * codes, never taken from a request. The meters of the hot path are resolved once (by event type
 * and by route), not looked up by name per event.
 */
final class GatewayMetrics {

    static final String OVERLOADED = "overloaded";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter suspectNoImpression;
    private final Counter suspectIpRate;
    private final Counter suspectUnboundType;
    /** Accepted and duplicate events by type, resolved once: every event bumps one (P3 profile: 5 % of the CPU). */
    private final Counter[] accepted = new Counter[EventType.values().length];
    private final Counter[] duplicates = new Counter[EventType.values().length];
    /** By route, registered at first use (as a scrape has always shown them): an overloaded gateway answers cheaply. */
    private final AtomicReferenceArray<Counter> overloaded = new AtomicReferenceArray<>(Route.values().length);
    private final AtomicReferenceArray<Timer> latency = new AtomicReferenceArray<>(Route.values().length);

    GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.suspectNoImpression = suspectCounter("no_impression");
        this.suspectIpRate = suspectCounter("ip_rate");
        this.suspectUnboundType = suspectCounter("unbound_type");
        for (EventType type : EventType.values()) {
            accepted[type.ordinal()] = counter(type.name(), "accepted", "ok");
            duplicates[type.ordinal()] = counter(type.name(), "duplicate", "ok");
        }
    }

    private Counter suspectCounter(String reason) {
        return Counter.builder("adgrid.gateway.suspect.clicks")
                .description("Clicks answered and counted as suspect (not as clicks): no_impression = no impression of the same "
                        + "rendering was recorded before it; ip_rate = its client IP was over the clicks-per-minute limit; "
                        + "unbound_type = signed with a legacy key's v1 string, which does not bind the event type")
                .tag("reason", reason).register(registry);
    }

    /** One latency timer per endpoint tag; any path the gateway does not serve shares "other". */
    Timer latency(Route route) {
        Timer timer = latency.get(route.ordinal());
        if (timer == null) {
            timer = Timer.builder("adgrid.gateway.latency")
                    .description("Time from a beacon request to its answer, grid confirmation included")
                    .tag("endpoint", route.latencyTag()).publishPercentileHistogram().register(registry);
            latency.set(route.ordinal(), timer); // a race registers the same meter twice: the registry returns the first
        }
        return timer;
    }

    /** A request not handled because the gateway is overloaded: rejected, reason {@code overloaded}. */
    void overloaded(Route route) {
        Counter counter = overloaded.get(route.ordinal());
        if (counter == null) {
            counter = counter(route.typeTag(), "rejected", OVERLOADED);
            overloaded.set(route.ordinal(), counter);
        }
        counter.increment();
    }

    /** A suspect click is accepted (counted once, as suspect): it also counts in adgrid.gateway.suspect.clicks. */
    void outcome(GridEvent event, Outcome outcome, boolean unboundType) {
        if (outcome.refused()) {
            count(event.type().name(), GridRefusals.refusedByGrid(outcome));
            return;
        }
        (outcome == Outcome.DUPLICATE ? duplicates : accepted)[event.type().ordinal()].increment();
        if (outcome == Outcome.SUSPECT) {
            (unboundType ? suspectUnboundType : event.suspect() ? suspectIpRate : suspectNoImpression).increment();
        }
    }

    /** A beacon of a known robot counted (once) as invalid; {@code reason} is one of a fixed set of device classes. */
    void invalid(String reason) {
        counters.computeIfAbsent("invalid|" + reason, k -> Counter.builder("adgrid.gateway.invalid.events")
                .description("Impressions and clicks counted as invalid (never billed), by why: the device class of the known robot"
                        + " their User-Agent names (robot, robot_mobile, robot_imitator, spy, hacker)")
                .tag("reason", reason).register(registry)).increment();
    }

    /** Counts {@code rejection} under {@code type} and returns it. */
    Rejection count(String type, Rejection rejection) {
        count(type, "rejected", rejection.code());
        return rejection;
    }

    void count(String type, String outcome, String reason) {
        counter(type, outcome, reason).increment();
    }

    private Counter counter(String type, String outcome, String reason) {
        return counters.computeIfAbsent(type + '|' + outcome + '|' + reason, k -> Counter.builder("adgrid.gateway.events")
                .description("Beacon events by type, outcome (accepted, duplicate, rejected) and reason")
                .tag("type", type.toLowerCase(Locale.ROOT)).tag("outcome", outcome).tag("reason", reason)
                .register(registry));
    }
}
