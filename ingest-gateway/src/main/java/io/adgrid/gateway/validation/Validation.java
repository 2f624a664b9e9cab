package io.adgrid.gateway.validation;

import io.adgrid.catalog.Banner;
import io.adgrid.grid.counters.GridEvent;

/** The verdict on one beacon: an event to count (with its banner, for the click redirect) or a rejection. */
public sealed interface Validation {

    record Accepted(GridEvent event, Banner banner) implements Validation {
    }

    record Rejected(Rejection rejection) implements Validation {
    }
}
