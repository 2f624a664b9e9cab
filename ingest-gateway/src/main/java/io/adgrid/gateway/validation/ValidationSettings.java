package io.adgrid.gateway.validation;

import java.time.Duration;

/**
 * The accepted {@code ts} window (how old and how far ahead a beacon's render time may be), and
 * click attribution (issue 21): the landing-URL parameter that carries a click's id (empty: none is
 * added) and how long after its click a sale posted by click id is attributed to it.
 */
public record ValidationSettings(Duration maxAge, Duration maxAhead, String clickParam, Duration attributionWindow) {

    public static final String DEFAULT_CLICK_PARAM = "agclid";
    public static final Duration DEFAULT_ATTRIBUTION_WINDOW = Duration.ofDays(30);

    public ValidationSettings(Duration maxAge, Duration maxAhead) {
        this(maxAge, maxAhead, DEFAULT_CLICK_PARAM, DEFAULT_ATTRIBUTION_WINDOW);
    }

    public static ValidationSettings defaults() {
        return new ValidationSettings(Duration.ofMinutes(15), Duration.ofMinutes(1));
    }

    /** Minutes of event identities the grid must remember so a replay within the window is caught. */
    public int replayWindowMinutes() {
        return (int) (maxAge.toMinutes() + maxAhead.toMinutes() + 1);
    }
}
