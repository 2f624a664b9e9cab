package io.adgrid.reporting.stats;

import java.math.BigDecimal;
import java.math.RoundingMode;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import io.adgrid.grid.port.Counts;
import io.adgrid.pricing.Micros;

/**
 * One row of a report. Revenue is a decimal string (exact, at least two decimals); ctr is clicks
 * per impression and cvr conversions per click, 0 when the denominator is 0. {@code clicks} are the
 * clean clicks; {@code suspect_clicks} the fraud signals (no impression, or over the per-IP rate),
 * never counted in clicks, ctr or cvr; {@code invalid} the impressions and clicks of known robots,
 * never counted in impressions or clicks, never billed. {@code spend} is computed from the exact counts at the
 * campaigns' prices (issue 21), never accumulated in floating point.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "One report row: a time bucket (stats) or an item (top)")
public record StatsRow(@Schema(description = "start of the bucket in tz, ISO-8601 with its UTC offset (stats only). Minute and hour buckets are "
        + "real minutes and hours: the hour lived twice when clocks go back is two rows told apart by the offset "
        + "(2026-10-25T02:00:00+02:00, then 2026-10-25T02:00:00+01:00 in Europe/Paris); a day bucket starts at the local "
        + "date's first instant", example = "2026-12-05T10:00:00Z") String bucket,
                       @Schema(description = "campaign, banner or publisher id (top only)", format = "int64") Long id,
                       @Schema(requiredMode = Schema.RequiredMode.REQUIRED) long impressions,
                       @Schema(description = "clean clicks", requiredMode = Schema.RequiredMode.REQUIRED) long clicks,
                       @Schema(requiredMode = Schema.RequiredMode.REQUIRED) long conversions,
                       @Schema(description = "exact decimal as a string, at least two decimals, e.g. \"59.80\"", pattern = "^-?[0-9]+\\.[0-9]{2,6}$",
                               requiredMode = Schema.RequiredMode.REQUIRED) String revenue,
                       @Schema(description = "clean clicks per impression, 6 decimals; 0 without impressions", example = "0.000663",
                               requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal ctr,
                       @Schema(description = "conversions per clean click, 6 decimals; 0 without clean clicks (above 1 when "
                               + "conversions come from clicks counted as suspect)", example = "0.2", requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal cvr,
                       @Schema(description = "clicks counted as suspect: no impression before them, or over the per-IP rate",
                               requiredMode = Schema.RequiredMode.REQUIRED) @JsonProperty("suspect_clicks") long suspectClicks,
                       @Schema(description = "impressions and clicks whose User-Agent is a known robot's (general invalid traffic): "
                               + "counted once, in neither impressions nor clicks, never billed",
                               requiredMode = Schema.RequiredMode.REQUIRED) long invalid,
                       @Schema(description = "what the row's counts cost the advertisers at their campaigns' prices (CPM: impressions, CPC: "
                               + "clean clicks, CPA: conversions), each counter at the price in force at its time; exact decimal of the "
                               + "currency as a string, at least two decimals, never rounded, e.g. \"37.75\"; \"0.00\" without a price",
                               pattern = "^[0-9]+\\.[0-9]{2,6}$", requiredMode = Schema.RequiredMode.REQUIRED) String spend,
                       @Schema(description = "of spend, what the campaign's budget lets it bill (issue 21): present only in day rows of "
                               + "campaign=ID with a budget whose time zone is tz, for days starting at or after from (a day cut by to: "
                               + "what it billed up to to); exact decimal string",
                               pattern = "^[0-9]+\\.[0-9]{2,6}$", nullable = true) String billed,
                       @Schema(description = "billable events of the day (impressions under CPM, clean clicks under CPC, conversions "
                               + "under CPA) counted after the budget was reached, never billed; present with billed", nullable = true)
                       @JsonProperty("over_budget") Long overBudget,
                       @Schema(description = "unique reach (issue 21): distinct users (the beacons' u) of the row's impressions, "
                               + "estimated by an HLL sketch (relative error about 0.8 %); present only in stats of campaign=ID or "
                               + "banner=ID, at granularity total (every UTC day the range touches) or day with tz UTC", nullable = true)
                       Long reach) {

    public StatsRow(String bucket, Long id, long impressions, long clicks, long conversions, String revenue, BigDecimal ctr,
                    BigDecimal cvr, long suspectClicks, long invalid, String spend) {
        this(bucket, id, impressions, clicks, conversions, revenue, ctr, cvr, suspectClicks, invalid, spend, null, null, null);
    }

    /** This row with what its campaign-day billed and how many of its events were over budget. */
    public StatsRow withBilling(String billedDecimal, long over) {
        return new StatsRow(bucket, id, impressions, clicks, conversions, revenue, ctr, cvr, suspectClicks, invalid, spend, billedDecimal,
                over, reach);
    }

    /** This row with its unique reach. */
    public StatsRow withReach(long users) {
        return new StatsRow(bucket, id, impressions, clicks, conversions, revenue, ctr, cvr, suspectClicks, invalid, spend, billed,
                overBudget, users);
    }

    public static StatsRow of(String bucket, Long id, Tally t) {
        Counts c = t.counts();
        return new StatsRow(bucket, id, c.impressions, c.clicks, c.conversions, revenue(c.revenueMicros),
                ratio(c.clicks, c.impressions), ratio(c.conversions, c.clicks), c.suspectClicks, c.invalid,
                Micros.decimal(t.spendMicros()));
    }

    static String revenue(long micros) {
        return Micros.decimal(micros);
    }

    /** Six decimals, trailing zeros dropped, never in exponent form ({@code 0.000663}, not {@code 6.63E-4}). */
    static BigDecimal ratio(long part, long whole) {
        if (whole == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal r = BigDecimal.valueOf(part).divide(BigDecimal.valueOf(whole), 6, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return r.scale() < 0 ? r.setScale(0) : r;
    }
}
