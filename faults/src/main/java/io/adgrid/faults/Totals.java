package io.adgrid.faults;

/** Counts of one key or campaign; revenue in millionths, as PostgreSQL keeps it. */
record Totals(long impressions, long clicks, long suspectClicks, long conversions, long revenueMicros) {

    static final Totals ZERO = new Totals(0, 0, 0, 0, 0);

    Totals plus(Totals o) {
        return new Totals(impressions + o.impressions, clicks + o.clicks, suspectClicks + o.suspectClicks,
                conversions + o.conversions, revenueMicros + o.revenueMicros);
    }

    static Totals of(Event e) {
        return switch (e.kind()) {
            case IMPRESSION -> new Totals(1, 0, 0, 0, 0);
            case CLEAN_CLICK -> new Totals(0, 1, 0, 0, 0);
            case SUSPECT_CLICK -> new Totals(0, 0, 1, 0, 0);
            case SALE -> new Totals(0, 0, 0, 1, e.amountMicros());
        };
    }

    /** Metric names and values, in one order for reports. */
    long[] values() {
        return new long[] {impressions, clicks, suspectClicks, conversions, revenueMicros};
    }

    static final String[] NAMES = {"impressions", "clicks", "suspect_clicks", "conversions", "revenue_micros"};
}
