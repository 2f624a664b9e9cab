package io.adgrid.signing;

/** The characters the contract allows in the ids it never parses: nonces, key ids, order ids, users. */
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
}
