package io.adgrid.reporting.stats;

import java.util.Locale;
import io.adgrid.grid.port.CounterFilter;

/** What a report is about. Column names are fixed here, never taken from a request. */
public enum Dimension {
    CAMPAIGN("campaign_id", CounterFilter.Dimension.CAMPAIGN),
    BANNER("banner_id", CounterFilter.Dimension.BANNER),
    PUBLISHER("publisher_id", CounterFilter.Dimension.PUBLISHER);

    final String column;
    final CounterFilter.Dimension filter;

    Dimension(String column, CounterFilter.Dimension filter) {
        this.column = column;
        this.filter = filter;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Dimension parse(String text) {
        for (Dimension d : values()) {
            if (d.label().equals(text)) {
                return d;
            }
        }
        throw new BadQueryException("dimension must be campaign, banner or publisher");
    }
}
