package io.adgrid.gateway.route;

import io.adgrid.event.EventType;

/**
 * Where a request goes, decided once from its URI (the path up to a {@code ?}) and carried with
 * it ({@link RoutedRequest}): the body limit, the overload guard, the endpoint, the metric tags
 * all read it from here instead of matching the URI again.
 */
public enum Route {
    /** {@code GET /i}: an impression pixel. */
    IMPRESSION("/i", "i", EventType.IMPRESSION),
    /** {@code GET /c}: a click, answered with a redirect. */
    CLICK("/c", "c", EventType.CLICK),
    /** {@code POST /s}: a sale (form, JSON or query). */
    SALE("/s", "s", EventType.SALE),
    /** {@code POST /events}: NDJSON batches, with their own (larger) body limit. */
    EVENTS("/events", "events", null),
    /** {@code GET /healthz}: always answered, even when overloaded. */
    HEALTH("/healthz", "other", null),
    /** Anything else: 404, its metrics under fixed tags so a scanner cannot add series. */
    UNKNOWN(null, "other", null);

    /** The routes with a path; {@code values()} would copy its array on every request. */
    private static final Route[] PATHS = {IMPRESSION, CLICK, SALE, EVENTS, HEALTH};

    private final String path;
    private final String latencyTag;
    private final EventType eventType;

    Route(String path, String latencyTag, EventType eventType) {
        this.path = path;
        this.latencyTag = latencyTag;
        this.eventType = eventType;
    }

    /** The route of {@code uri}: its path, with or without a query, is the route's path. Allocates nothing. */
    public static Route of(String uri) {
        for (Route r : PATHS) {
            String p = r.path;
            if (uri.startsWith(p) && (uri.length() == p.length() || uri.charAt(p.length()) == '?')) {
                return r;
            }
        }
        return UNKNOWN;
    }

    /** The path, without a query: what a request signature (issue 23) signs as the path. */
    public String path() {
        return path;
    }

    /** The beacon type of {@code /i}, {@code /c} and {@code /s}; null for the others. */
    public EventType eventType() {
        return eventType;
    }

    /** The {@code type} tag of a refusal counted before any event was read: the beacon's type, else "unknown". */
    public String typeTag() {
        return eventType == null ? "unknown" : eventType.name();
    }

    /** The {@code endpoint} tag of {@code adgrid.gateway.latency}: i, c, s, events or other. */
    public String latencyTag() {
        return latencyTag;
    }
}
