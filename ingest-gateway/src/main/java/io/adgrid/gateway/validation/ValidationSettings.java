package io.adgrid.gateway.validation;

import java.time.Duration;
import io.adgrid.catalog.Campaign;

/**
 * The accepted {@code ts} window (how old and how far ahead a beacon's render time may be), and the
 * deployment's click attribution (issue 21), for campaigns that set none of their own: the landing-URL
 * parameter that carries a click's id (empty: none is added) and how long after its click a sale
 * posted by click id is attributed to it.
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

    /** The parameter the campaign's click ids go in: its own, else the deployment's (empty: no id). */
    public String clickParamOf(Campaign campaign) {
        String own = campaign.attribution().clickParam();
        return own != null ? own : clickParam;
    }

    /** How long after a click of the campaign a sale by its id counts: its own window, else the deployment's. */
    public Duration windowOf(Campaign campaign) {
        Duration own = campaign.attribution().window();
        return own != null ? own : attributionWindow;
    }

    /** Minutes of event identities the grid must remember so a replay within the window is caught. */
    public int replayWindowMinutes() {
        return (int) (maxAge.toMinutes() + maxAhead.toMinutes() + 1);
    }
}
