package io.adgrid.reporting.stats;

import java.math.BigDecimal;
import java.math.RoundingMode;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.adgrid.grid.counters.Counts;

/**
 * One row of a report. Revenue is a decimal string (exact, at least two decimals); ctr is clicks
 * per impression and cvr conversions per click, 0 when the denominator is 0. {@code clicks} are the
 * clean clicks; {@code suspect_clicks} the fraud signals (no impression, or over the per-IP rate),
 * never counted in clicks, ctr or cvr.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StatsRow(String bucket, Long id, long impressions, long clicks, long conversions, String revenue,
                       double ctr, double cvr, @JsonProperty("suspect_clicks") long suspectClicks) {

    public static StatsRow of(String bucket, Long id, Counts c) {
        return new StatsRow(bucket, id, c.impressions, c.clicks, c.conversions, revenue(c.revenueMicros),
                ratio(c.clicks, c.impressions), ratio(c.conversions, c.clicks), c.suspectClicks);
    }

    static String revenue(long micros) {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return d.setScale(Math.max(2, d.scale()), RoundingMode.UNNECESSARY).toPlainString();
    }

    private static double ratio(long part, long whole) {
        return whole == 0 ? 0.0 : BigDecimal.valueOf(part).divide(BigDecimal.valueOf(whole), 6, RoundingMode.HALF_EVEN).doubleValue();
    }
}
