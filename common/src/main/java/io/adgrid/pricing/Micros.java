package io.adgrid.pricing;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/** Amounts in micros (10^-6 of a currency) as the API writes them. */
public final class Micros {

    private Micros() {
    }

    /** An exact decimal with at least two decimals, never in exponent form: 2500 is "0.0025", 0 is "0.00", 12500000 is "12.50". */
    public static String decimal(BigInteger micros) {
        BigDecimal d = new BigDecimal(micros, 6).stripTrailingZeros();
        return d.setScale(Math.max(2, d.scale()), RoundingMode.UNNECESSARY).toPlainString();
    }

    public static String decimal(long micros) {
        return decimal(BigInteger.valueOf(micros));
    }
}
