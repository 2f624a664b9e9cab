package io.adgrid.reporting.stats;

import java.math.BigInteger;
import io.adgrid.grid.port.Counts;
import io.adgrid.pricing.Price;

/**
 * A report row being summed: its exact counts and their spend in micros. Each part is priced at the
 * price its campaign had at the part's time, then added: spend is linear in the counts (see
 * {@link Price}), so the row's spend does not depend on how its counts were split (PostgreSQL
 * tables, grid entries, campaigns).
 */
public final class Tally {

    private final Counts counts = new Counts();
    private BigInteger spendMicros = BigInteger.ZERO;

    /** @param price the price in force for {@code part}, or null: not billed */
    public Tally add(Counts part, Price price) {
        counts.add(part);
        if (price != null) {
            // clicks are the clean clicks (CONTRACT 4): suspect clicks are never billed
            spendMicros = spendMicros.add(price.spendMicros(part.impressions, part.clicks, part.conversions));
        }
        return this;
    }

    public Counts counts() {
        return counts;
    }

    public BigInteger spendMicros() {
        return spendMicros;
    }
}
