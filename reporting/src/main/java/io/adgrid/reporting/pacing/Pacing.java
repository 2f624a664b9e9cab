package io.adgrid.reporting.pacing;

import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.adgrid.pricing.Budget;
import io.adgrid.pricing.BudgetLedger;
import io.adgrid.pricing.Micros;
import io.adgrid.pricing.Price;
import io.adgrid.reporting.stats.CampaignDays;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * Where a campaign stands against its budget: the answer of {@code GET /api/v1/campaigns/{id}/pacing}
 * and the data of each event on {@code /api/v1/pacing/stream}. Amounts are exact decimal strings of
 * the campaign's currency, like spend in stats.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A campaign's spend against its budget, live. On the stream, the event of a removed budget carries only "
        + "campaign, state (no_budget) and as_of")
public record Pacing(
        @Schema(format = "int64") long campaign,
        @Schema(description = "pacing: it may still bill; exhausted: it can bill nothing more today (a budget is reached, or less "
                + "of it is left than one event costs), so ad servers should stop serving it; no_budget: it has none",
                allowableValues = {"pacing", "exhausted", "no_budget"}) String state,
        @Schema(description = "the budget's zone (UTC without a budget)", example = "America/New_York") @JsonProperty("time_zone") String timeZone,
        @Schema(description = "today in time_zone: the day the daily figures are of", example = "2026-12-06") String day,
        @Schema(description = "the daily budget, e.g. \"20.00\"; absent without one", nullable = true) @JsonProperty("daily_budget") String dailyBudget,
        @Schema(description = "the total budget, e.g. \"1000.00\"; absent without one", nullable = true) @JsonProperty("total_budget") String totalBudget,
        @Schema(description = "what today's counts cost at the campaign's prices (raw, billed or not)") @JsonProperty("spend_today") String spendToday,
        @Schema(description = "of spend_today, what the budget lets it bill") @JsonProperty("billed_today") String billedToday,
        @Schema(description = "billable events of today counted after the budget was reached, never billed")
        @JsonProperty("over_budget_today") Long overBudgetToday,
        @Schema(description = "spend over all days (absent on stream events of a campaign with only a daily budget)", nullable = true) String spend,
        @Schema(description = "billed over all days (absent with spend)", nullable = true) String billed,
        @Schema(description = "over-budget events over all days (absent with spend)", nullable = true) @JsonProperty("over_budget") Long overBudget,
        @Schema(description = "what may still be billed today: the least room of the daily and the total budget; absent without a budget",
                nullable = true) String remaining,
        @Schema(description = "spend per second over about the last minute, in micros, from the pacing monitor's samples; absent until "
                + "it has two", nullable = true, format = "int64") @JsonProperty("rate_micros_per_second") Long rateMicrosPerSecond,
        @Schema(description = "when remaining runs out at rate, ISO-8601 UTC; absent unless pacing with a positive rate", nullable = true)
        @JsonProperty("exhausts_at") String exhaustsAt,
        @Schema(description = "the instant the figures are of, ISO-8601 UTC") @JsonProperty("as_of") String asOf) {

    /** The state names. */
    public static final String PACING = "pacing";
    public static final String EXHAUSTED = "exhausted";
    public static final String NO_BUDGET = "no_budget";

    /**
     * The campaign's pacing from one read.
     *
     * @param allDays whether {@code read} holds all of the campaign's days (then spend, billed and over_budget are given)
     * @param rate    spend micros a second, or null when unknown
     */
    public static Pacing of(CampaignDays.Read read, long campaign, Instant now, boolean allDays, Long rate) {
        Budget budget = read.budgets().get(campaign);
        ZoneId zone = budget == null ? ZoneOffset.UTC : budget.zone();
        LocalDate today = LocalDate.ofInstant(now, zone);
        BudgetLedger.Bill bill = read.bill(campaign);
        BudgetLedger.Day d = bill.day(today);
        Price current = read.prices().at(campaign, Math.floorDiv(now.getEpochSecond(), 60));
        String state = budget == null ? NO_BUDGET : bill.exhausted(today, current) ? EXHAUSTED : PACING;
        Long remaining = bill.remainingMicros(today);
        String exhaustsAt = null;
        if (PACING.equals(state) && rate != null && rate > 0 && remaining != null) {
            exhaustsAt = now.plusSeconds(-Math.floorDiv(-remaining, rate)).toString();
        }
        boolean all = allDays || budget != null && budget.totalMicros() != null;
        return new Pacing(campaign, state, zone.getId(), today.toString(),
                budget == null || budget.dailyMicros() == null ? null : Micros.decimal(budget.dailyMicros()),
                budget == null || budget.totalMicros() == null ? null : Micros.decimal(budget.totalMicros()),
                Micros.decimal(d.spendMicros()), Micros.decimal(d.billedMicros()), d.overBudget(),
                all ? Micros.decimal(bill.spendMicros()) : null, all ? Micros.decimal(bill.billedMicros()) : null,
                all ? bill.overBudget() : null, remaining == null ? null : Micros.decimal(remaining), rate, exhaustsAt, now.toString());
    }

    /** The stream's event for a campaign whose budget was just removed: its state, without figures (the monitor no longer reads them). */
    public static Pacing budgetRemoved(long campaign, Instant now) {
        return new Pacing(campaign, NO_BUDGET, null, null, null, null, null, null, null, null, null, null, null, null, null, now.toString());
    }

    /** Today's spend in micros (what the rate is measured on). */
    BigInteger spendTodayMicros() {
        return new java.math.BigDecimal(spendToday).movePointRight(6).toBigIntegerExact();
    }
}
