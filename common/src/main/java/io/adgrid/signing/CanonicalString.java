package io.adgrid.signing;

import java.util.Map;
import java.util.TreeMap;

/**
 * The string a beacon signature covers (CONTRACT section 4): every parameter but {@code sig},
 * sorted by name, as {@code name=value} with decoded values, joined by {@code &}.
 */
public final class CanonicalString {

    public static final String SIGNATURE_PARAM = "sig";

    private CanonicalString() {
    }

    public static String of(Map<String, String> params) {
        TreeMap<String, String> sorted = new TreeMap<>(params);
        sorted.remove(SIGNATURE_PARAM);
        StringBuilder sb = new StringBuilder(64);
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }
}
