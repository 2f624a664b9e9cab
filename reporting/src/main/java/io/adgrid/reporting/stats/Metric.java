package io.adgrid.reporting.stats;

import java.math.BigInteger;
import java.util.Locale;

/**
 * What a top list ranks by. A count has its own column, so PostgreSQL can rank by it
 * ({@link StatsRepository.Ranking}); spend is priced in Java, row by row, so ranking by it reads every id.
 */
enum Metric {
    IMPRESSIONS("impressions"),
    CLICKS("clicks"),
    CONVERSIONS("conversions"),
    REVENUE("revenue_micros"),
    SUSPECT_CLICKS("suspect_clicks"),
    INVALID("invalid"),
    SPEND(null);

    /** The counter tables' column of this count, or null for spend. Fixed here, never taken from a request. */
    final String column;

    Metric(String column) {
        this.column = column;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    BigInteger of(Tally t) {
        return switch (this) {
            case IMPRESSIONS -> BigInteger.valueOf(t.counts().impressions);
            case CLICKS -> BigInteger.valueOf(t.counts().clicks);
            case CONVERSIONS -> BigInteger.valueOf(t.counts().conversions);
            case REVENUE -> BigInteger.valueOf(t.counts().revenueMicros);
            case SUSPECT_CLICKS -> BigInteger.valueOf(t.counts().suspectClicks);
            case INVALID -> BigInteger.valueOf(t.counts().invalid);
            case SPEND -> t.spendMicros();
        };
    }

    static Metric parse(String text) {
        for (Metric m : values()) {
            if (m.label().equals(text)) {
                return m;
            }
        }
        throw new BadQueryException("metric must be impressions, clicks, conversions, revenue, suspect_clicks, invalid or spend");
    }
}
