package io.adgrid.pricing;

import java.math.BigInteger;

/**
 * A campaign's price: a model and an amount in micros (10^-6) of the campaign's currency.
 *
 * <p>Spend is a linear function of the exact counts, with no rounding: a CPM price is a whole
 * multiple of 1,000 micros (at most three decimals per thousand impressions), so each impression
 * costs a whole number of micros. The spend of summed counts is therefore the sum of their spends,
 * whatever way a report slices them (buckets, campaigns, grid or PostgreSQL). Spend is a
 * {@link BigInteger}: no count times any allowed price can overflow it.
 */
public record Price(PricingModel model, long micros) {

    /** The largest price: 1,000,000,000 currency units, the largest sale amount a beacon may carry. */
    public static final long MAX_MICROS = 1_000_000_000_000_000L;
    /** A CPM price is a multiple of this, so one impression costs whole micros. */
    public static final long CPM_STEP_MICROS = 1_000;

    public Price {
        String problem = problem(model, micros);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Null when {@code model} and {@code micros} make a price, else why not (safe to show to a client). */
    public static String problem(PricingModel model, long micros) {
        if (model == null) {
            return "model must be CPM, CPC or CPA";
        }
        if (micros < 0) {
            return "price_micros must not be negative";
        }
        if (micros > MAX_MICROS) {
            return "price_micros must be at most " + MAX_MICROS + " (1,000,000,000 of the currency)";
        }
        if (model == PricingModel.CPM && micros % CPM_STEP_MICROS != 0) {
            return "a CPM price_micros must be a multiple of 1000 (at most 3 decimals per thousand impressions), "
                    + "so that every impression costs whole micros";
        }
        return null;
    }

    /**
     * The spend, in micros, of these counts at this price: CPM impressions * micros / 1000 (exact,
     * see the class comment), CPC clean clicks * micros, CPA conversions * micros.
     *
     * @param cleanClicks clean clicks only: suspect clicks are never billed
     */
    /** What one billable event costs, in whole micros: an impression (CPM), a clean click (CPC) or a conversion (CPA). */
    public long unitMicros() {
        return model == PricingModel.CPM ? micros / CPM_STEP_MICROS : micros;
    }

    /** How many of these counts the model bills: impressions (CPM), clean clicks (CPC) or conversions (CPA). */
    public long billableUnits(long impressions, long cleanClicks, long conversions) {
        return switch (model) {
            case CPM -> impressions;
            case CPC -> cleanClicks;
            case CPA -> conversions;
        };
    }

    public BigInteger spendMicros(long impressions, long cleanClicks, long conversions) {
        return switch (model) {
            case CPM -> BigInteger.valueOf(impressions).multiply(BigInteger.valueOf(micros / CPM_STEP_MICROS));
            case CPC -> BigInteger.valueOf(cleanClicks).multiply(BigInteger.valueOf(micros));
            case CPA -> BigInteger.valueOf(conversions).multiply(BigInteger.valueOf(micros));
        };
    }
}
