package io.adgrid.gateway.validation;

import io.adgrid.catalog.Banner;
import io.adgrid.grid.counters.GridEvent;

/** The verdict on one beacon: an event to count (with its banner, for the click redirect) or a rejection. */
public sealed interface Validation {

    /**
     * @param unboundType a click signed with a legacy key's v1 string, which does not bind the type:
     *                    it is sent to the grid as suspect, reason {@code unbound_type}
     */
    record Accepted(GridEvent event, Banner banner, boolean unboundType) implements Validation {
        public Accepted(GridEvent event, Banner banner) {
            this(event, banner, false);
        }
    }

    record Rejected(Rejection rejection) implements Validation {
    }
}
