package io.adgrid.grid.port;

/**
 * Bounds on revenue, in micros, so that no sum of it wraps: a long holds 9.2 * 10^18 micros
 * (9.2 * 10^12 currency units). One sale may carry at most {@link #MAX_EVENT_MICROS}; one counter
 * key (minute, banner, publisher) may gather at most {@link #MAX_KEY_MICROS} over the window in
 * which its minute takes events, so that a row, and the sum of two batches of it, stay far from
 * the limit. Past either bound the sale is refused (422), never counted. The grid also refuses a sale
 * that would take one campaign's minute past a long over its unwritten keys (the sum a pacing read
 * answers; {@code RouteState}).
 */
public final class MoneyBounds {

    /** 1,000,000,000 currency units. */
    public static final long MAX_EVENT_MICROS = 1_000_000_000L * 1_000_000L;
    /** 100,000,000,000 currency units. */
    public static final long MAX_KEY_MICROS = 100_000_000_000L * 1_000_000L;

    private MoneyBounds() {
    }
}
