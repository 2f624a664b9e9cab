package io.adgrid.gateway.validation;

import io.adgrid.catalog.Banner;
import io.adgrid.grid.port.GridEvent;

/** The verdict on one beacon: an event to count (with its banner, for the click redirect) or a rejection. */
public sealed interface Validation {

    /**
     * @param unboundType a click signed with a legacy key's v1 string, which does not bind the type:
     *                    it is sent to the grid as suspect, reason {@code unbound_type}
     * @param clickParam  the landing-URL parameter a click's id goes in (its campaign's, else the deployment's), else null
     * @param clickId     a click's id for its landing URL ({@link io.adgrid.attribution.ClickId}), else null
     */
    record Accepted(GridEvent event, Banner banner, boolean unboundType, String clickParam, String clickId) implements Validation {
        public Accepted(GridEvent event, Banner banner) {
            this(event, banner, false, null, null);
        }

        public Accepted(GridEvent event, Banner banner, boolean unboundType) {
            this(event, banner, unboundType, null, null);
        }

        /** The same, counted as a suspect click. */
        public Accepted asSuspect() {
            return new Accepted(event.asSuspect(), banner, unboundType, clickParam, clickId);
        }

        /** The same, from a known robot: counted as invalid. */
        public Accepted asInvalid() {
            return new Accepted(event.asInvalid(), banner, unboundType, clickParam, clickId);
        }
    }

    record Rejected(Rejection rejection) implements Validation {
    }
}
