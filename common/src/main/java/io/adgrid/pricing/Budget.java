package io.adgrid.pricing;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A campaign's budget: a daily cap (per day in {@code zone}), a total cap, or both, in micros of
 * the campaign's currency. A null cap is none. See {@link BudgetLedger} for how it caps billing.
 */
public record Budget(Long dailyMicros, Long totalMicros, ZoneId zone) {

    /** The largest budget: 10^18 micros, so that every sum of billed micros fits in a long. */
    public static final long MAX_MICROS = 1_000_000_000_000_000_000L;

    public Budget {
        String problem = problem(dailyMicros, totalMicros);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (zone == null) {
            throw new IllegalArgumentException("a budget needs a time zone");
        }
    }

    /** Null when the caps make a budget, else why not (safe to show to a client). */
    public static String problem(Long dailyMicros, Long totalMicros) {
        if (dailyMicros == null && totalMicros == null) {
            return "a budget needs daily_micros or total_micros (both null: no budget)";
        }
        for (Long v : new Long[] {dailyMicros, totalMicros}) {
            if (v != null && v < 0) {
                return "daily_micros and total_micros must not be negative";
            }
            if (v != null && v > MAX_MICROS) {
                return "daily_micros and total_micros must be at most " + MAX_MICROS;
            }
        }
        return null;
    }

    /**
     * The zone of a budget's days: a region id such as America/New_York or UTC, as both Java and
     * PostgreSQL know it; a bare offset ("+05:00") is refused, it is ambiguous to PostgreSQL.
     *
     * @throws IllegalArgumentException with a reason safe to show to a client
     */
    public static ZoneId zone(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("time_zone is required, an IANA zone such as America/New_York or UTC");
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(id);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("time_zone must be an IANA zone such as America/New_York or UTC");
        }
        if (zone instanceof ZoneOffset || id.startsWith("UTC+") || id.startsWith("UTC-") || id.startsWith("GMT+")
                || id.startsWith("GMT-") || id.startsWith("UT+") || id.startsWith("UT-")) {
            throw new IllegalArgumentException("time_zone must be a region id (America/New_York, Asia/Kolkata, UTC), not an offset");
        }
        return zone;
    }
}
