package io.adgrid.gatling.exactness;

import java.math.BigDecimal;
import com.fasterxml.jackson.databind.JsonNode;

/** Impressions, clicks, conversions and revenue (micros) of one campaign or banner. */
public record Totals(long impressions, long clicks, long conversions, long revenueMicros) {

    public static final Totals ZERO = new Totals(0, 0, 0, 0);

    public Totals plus(Totals o) {
        return new Totals(impressions + o.impressions, clicks + o.clicks, conversions + o.conversions, revenueMicros + o.revenueMicros);
    }

    public Totals minus(Totals o) {
        return new Totals(impressions - o.impressions, clicks - o.clicks, conversions - o.conversions, revenueMicros - o.revenueMicros);
    }

    /**
     * The {@code granularity=total} row of a stats answer: {@code {"rows":[{"impressions":N,...,"revenue":"D"}]}}.
     * Clicks are the clean and the suspect ones together (each 302'd click is counted in exactly one of
     * {@code clicks} and {@code suspect_clicks}; load from one address is over the per-IP click rate).
     */
    public static Totals ofStatsRow(JsonNode answer) {
        JsonNode rows = answer.path("rows");
        if (!rows.isArray() || rows.size() != 1) {
            throw new IllegalArgumentException("expected exactly one total row, got " + rows);
        }
        JsonNode r = rows.get(0);
        long suspect = r.has("suspect_clicks") ? number(r, "suspect_clicks") : 0;
        return new Totals(number(r, "impressions"), number(r, "clicks") + suspect, number(r, "conversions"),
                new BigDecimal(r.path("revenue").asText("0")).movePointRight(6).longValueExact());
    }

    private static long number(JsonNode row, String field) {
        JsonNode n = row.get(field);
        if (n == null || !n.canConvertToLong()) {
            throw new IllegalArgumentException("no numeric '" + field + "' in " + row);
        }
        return n.asLong();
    }

    public String revenue() {
        return BigDecimal.valueOf(revenueMicros, 6).stripTrailingZeros().toPlainString();
    }

    @Override
    public String toString() {
        return impressions + " impressions, " + clicks + " clicks, " + conversions + " conversions, revenue " + revenue();
    }
}
