package io.adgrid.signing;

import java.util.Arrays;
import java.util.Map;
import io.adgrid.event.EventType;

/**
 * The string a beacon signature covers (CONTRACT section 4, v2): the beacon's type path
 * ({@code /i}, {@code /c} or {@code /s}), {@code ?}, then every parameter but {@code sig}, sorted
 * by name, as {@code name=value} with decoded values, joined by {@code &}. The path is what binds
 * the signature to the event type: an impression's signature is not a click's.
 *
 * <p>{@link #v1} is the string without the path, signed before contract v2; it is still accepted
 * from keys marked legacy, and its HMAC is a rendering's identity (see {@link BeaconSigner#verify}).
 */
public final class CanonicalString {

    public static final String SIGNATURE_PARAM = "sig";

    private CanonicalString() {
    }

    /** The v2 string: {@code /i?b=7&n=abc&p=3&ts=1700000000000}. */
    public static String of(EventType type, Map<String, String> params) {
        return path(type) + v1(params);
    }

    /** The prefix the v2 string puts before the sorted parameters: {@code /i?}, {@code /c?} or {@code /s?}. */
    public static String path(EventType type) {
        return switch (type) {
            case IMPRESSION -> "/i?";
            case CLICK -> "/c?";
            case SALE -> "/s?";
        };
    }

    /** The v1 string (contract before 2026-12): the sorted parameters alone, {@code b=7&n=abc&p=3&ts=1700000000000}. */
    public static String v1(Map<String, String> params) {
        // A beacon has a handful of parameters: sorting their names in an array beats a TreeMap copy.
        String[] names = new String[params.size()];
        int count = 0;
        int length = 0;
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!e.getKey().equals(SIGNATURE_PARAM)) {
                names[count++] = e.getKey();
                length += e.getKey().length() + e.getValue().length() + 2;
            }
        }
        Arrays.sort(names, 0, count);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                sb.append('&');
            }
            sb.append(names[i]).append('=').append(params.get(names[i]));
        }
        return sb.toString();
    }
}
