package io.adgrid.signing;

/** The shapes of the contract's plain values: ids it never parses (nonces, key ids, order ids, users) and decimal numbers. */
public final class Tokens {

    private Tokens() {
    }

    /** Whether {@code s} is 1 to {@code maxLength} of ASCII letters, digits and {@code - _ . :}. */
    public static boolean isToken(String s, int maxLength) {
        if (s == null || s.isEmpty() || s.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '-' || ch == '_' || ch == '.' || ch == ':';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The value of 1 to {@code maxDigits} ASCII digits (no sign, no spaces), else -1. */
    public static long digits(String s, int maxDigits) {
        if (s == null || s.isEmpty() || s.length() > maxDigits) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            v = v * 10 + (ch - '0');
        }
        return v;
    }
}
