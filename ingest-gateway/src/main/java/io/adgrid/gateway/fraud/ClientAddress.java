package io.adgrid.gateway.fraud;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Who a beacon request came from, as a 64-bit key for {@link ClickRateLimiter}: the TCP peer's
 * IP address, or, only when the gateway is configured to sit behind a trusted proxy, the last
 * address of {@code X-Forwarded-For} (the one that proxy appended; earlier ones are whatever the
 * client sent and cannot be trusted).
 */
public final class ClientAddress {

    /** No address known (an in-process test channel): such clicks are not rate-limited. */
    public static final long UNKNOWN = 0;
    /** An address is at most this long in {@code X-Forwarded-For}; longer text is not an address. */
    private static final int MAX_ADDRESS_LENGTH = 64;

    private ClientAddress() {
    }

    public static long key(SocketAddress peer, String forwardedFor, boolean trustProxy) {
        if (trustProxy && forwardedFor != null) {
            long k = lastForwarded(forwardedFor);
            if (k != UNKNOWN) {
                return k;
            }
        }
        if (peer instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return hash(inet.getAddress().getAddress());
        }
        return UNKNOWN;
    }

    private static long lastForwarded(String header) {
        int end = header.length();
        int start = header.lastIndexOf(',') + 1;
        while (start < end && header.charAt(start) == ' ') {
            start++;
        }
        while (end > start && header.charAt(end - 1) == ' ') {
            end--;
        }
        if (end == start || end - start > MAX_ADDRESS_LENGTH) {
            return UNKNOWN;
        }
        long h = 0x51_7C_C1_B7_27_22_0A_95L;
        for (int i = start; i < end; i++) {
            h = ClickRateLimiter.mix(h ^ header.charAt(i));
        }
        return h == UNKNOWN ? 1 : h;
    }

    private static long hash(byte[] address) {
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < address.length; i++) {
            if (i < 8) {
                hi = hi << 8 | (address[i] & 0xff);
            } else {
                lo = lo << 8 | (address[i] & 0xff);
            }
        }
        long h = ClickRateLimiter.mix(ClickRateLimiter.mix(hi ^ address.length) ^ lo);
        return h == UNKNOWN ? 1 : h;
    }
}
