package io.adgrid.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The whole-request signature of a server-to-server {@code POST /events} body (issue 23), carried in
 * one header: {@code X-AdGrid-Signature: kid=<sender key id>, ts=<epoch ms>, sig=<base64url HMAC-SHA256>}.
 *
 * <p>The string signed is {@code AGS1\n<METHOD>\n<path>\n<kid>\n<ts>\n} followed by the exact body
 * bytes. The method and path bind the signature to the endpoint, kid and ts to the header, the
 * body bytes to this body: a signature moved to another body, endpoint, key or time does not match.
 * {@code AGS1} separates it from beacon signatures (which start with a path or a parameter name).
 * None of the fields can hold a newline, so the string has one reading.
 *
 * <p>The header is read strictly: exactly the three parameters, each once, in any order, separated
 * by commas with optional spaces or tabs; anything else is malformed (never guessed).
 */
public final class RequestSignature {

    public static final String HEADER = "X-AdGrid-Signature";
    /** Longest header value read: three parameters of at most 32 + 15 + 43 characters, and room for spaces. */
    public static final int MAX_HEADER_LENGTH = 256;
    public static final int MAX_KID_LENGTH = 32;
    private static final int MAX_TS_DIGITS = 15;
    private static final String PREFIX = "AGS1\n";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK without HmacSHA256", e);
        }
    });

    private RequestSignature() {
    }

    /** A header's parts, read but not verified. */
    public record Header(String kid, long ts, byte[] sig) {
    }

    /** A header that cannot be read; the message is safe to answer (it never quotes the header). */
    public static final class MalformedException extends Exception {
        public MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads a header value.
     *
     * @throws MalformedException when it is not exactly {@code kid=…, ts=…, sig=…}
     */
    public static Header parse(String value) throws MalformedException {
        if (value == null || value.isEmpty()) {
            throw new MalformedException(HEADER + " is empty");
        }
        if (value.length() > MAX_HEADER_LENGTH) {
            throw new MalformedException(HEADER + " is longer than " + MAX_HEADER_LENGTH + " characters");
        }
        String kid = null;
        String ts = null;
        String sig = null;
        for (String part : value.split(",", -1)) {
            String p = trim(part);
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new MalformedException(HEADER + " must be kid=<id>, ts=<epoch ms>, sig=<base64url>");
            }
            String name = p.substring(0, eq);
            String v = p.substring(eq + 1);
            switch (name) {
                case "kid" -> kid = once(kid, v, name);
                case "ts" -> ts = once(ts, v, name);
                case "sig" -> sig = once(sig, v, name);
                default -> throw new MalformedException(HEADER + " has an unknown parameter (allowed: kid, ts, sig)");
            }
        }
        if (kid == null || ts == null || sig == null) {
            throw new MalformedException(HEADER + " needs kid, ts and sig");
        }
        if (!Tokens.isToken(kid, MAX_KID_LENGTH)) {
            throw new MalformedException(HEADER + " kid must be 1-" + MAX_KID_LENGTH + " characters of A-Z a-z 0-9 . _ : -");
        }
        long millis = Tokens.digits(ts, MAX_TS_DIGITS);
        if (millis < 0) {
            throw new MalformedException(HEADER + " ts must be epoch milliseconds");
        }
        byte[] mac = BeaconSigner.decode(sig);
        if (mac == null) {
            throw new MalformedException(HEADER + " sig must be 43 characters of base64url (HMAC-SHA256, no padding)");
        }
        return new Header(kid, millis, mac);
    }

    /** The HMAC of a request: over {@link #prefix} and the body bytes {@code [offset, offset + length)}. */
    public static byte[] mac(SecretKeySpec key, String method, String path, String kid, long ts, byte[] body, int offset, int length) {
        Mac mac = MAC.get();
        try {
            mac.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC key rejected", e);
        }
        mac.update(prefix(method, path, kid, ts).getBytes(StandardCharsets.US_ASCII));
        mac.update(body, offset, length);
        return mac.doFinal();
    }

    /** What comes before the body in the string signed: {@code AGS1\nPOST\n/events\nkid\nts\n}. */
    public static String prefix(String method, String path, String kid, long ts) {
        return PREFIX + method + '\n' + path + '\n' + kid + '\n' + ts + '\n';
    }

    /** The header value for a request: {@code kid=…, ts=…, sig=…}. */
    public static String header(SecretKeySpec key, String method, String path, String kid, long ts, byte[] body) {
        return "kid=" + kid + ", ts=" + ts + ", sig=" + ENCODER.encodeToString(mac(key, method, path, kid, ts, body, 0, body.length));
    }

    /** Whether {@code sig} is this key's signature of the request (constant time). */
    public static boolean verify(SecretKeySpec key, String method, String path, Header header, byte[] body, int offset, int length) {
        return BeaconSigner.matches(mac(key, method, path, header.kid(), header.ts(), body, offset, length), header.sig());
    }

    private static String trim(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        return s.substring(from, to);
    }

    private static String once(String seen, String value, String name) throws MalformedException {
        if (seen != null) {
            throw new MalformedException(HEADER + " repeats " + name);
        }
        return value;
    }
}
