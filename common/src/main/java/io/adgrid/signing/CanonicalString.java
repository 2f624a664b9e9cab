package io.adgrid.signing;

import java.util.Arrays;
import java.util.Map;

/**
 * The string a beacon signature covers (CONTRACT section 4): every parameter but {@code sig},
 * sorted by name, as {@code name=value} with decoded values, joined by {@code &}.
 */
public final class CanonicalString {

    public static final String SIGNATURE_PARAM = "sig";

    private CanonicalString() {
    }

    public static String of(Map<String, String> params) {
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
