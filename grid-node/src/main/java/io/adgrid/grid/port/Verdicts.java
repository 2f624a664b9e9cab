package io.adgrid.grid.port;

/**
 * The grid's answer for one entry's events of a batch ({@link CounterGrid#apply}): a verdict code
 * per event, 3 bits each, packed into longs in the events' order. A null answer is all {@link #COUNTED}.
 */
public final class Verdicts {

    public static final int COUNTED = 0;
    public static final int DUPLICATE = 1;
    public static final int SUSPECT = 2;
    public static final int TOO_OLD = 3;
    public static final int OVER_KEY_LIMIT = 4;
    /** Bits per event in an answer. */
    public static final int BITS = 3;

    private Verdicts() {
    }

    /** The verdict code of event {@code i} of the entry in {@code answer}. */
    public static int of(long[] answer, int i) {
        int code = 0;
        for (int bit = 0; bit < BITS; bit++) {
            if (isSet(answer, BITS * i + bit)) {
                code |= 1 << bit;
            }
        }
        return code;
    }

    private static boolean isSet(long[] bits, int bit) {
        int word = bit >>> 6;
        return bits != null && word < bits.length && (bits[word] & (1L << bit)) != 0;
    }
}
