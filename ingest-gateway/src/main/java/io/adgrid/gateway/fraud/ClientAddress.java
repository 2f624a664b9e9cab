package io.adgrid.gateway.fraud;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.List;
import io.netty.util.NetUtil;

/**
 * Who a beacon request came from, as a 64-bit key for {@link ClickRateLimiter}: the TCP peer's
 * IP address, or, only when the gateway is configured to sit behind a trusted proxy, the last
 * address of the last {@code X-Forwarded-For} header (the one that proxy appended; earlier ones are
 * whatever the client sent and cannot be trusted; a client may send several such headers, and
 * they read as one list in their order). An IPv6 client is keyed by its /64: one host gets a whole
 * /64 and would otherwise rotate keys for free.
 */
public final class ClientAddress {

    /** No address known (an in-process test channel): such clicks are not rate-limited. */
    public static final long UNKNOWN = 0;
    /** An address is at most this long in {@code X-Forwarded-For}; longer text is not an address. */
    private static final int MAX_ADDRESS_LENGTH = 64;

    private ClientAddress() {
    }

    public static long key(SocketAddress peer, String forwardedFor, boolean trustProxy) {
        return key(peer, forwardedFor == null ? List.of() : List.of(forwardedFor), trustProxy);
    }

    /** @param forwardedFor every {@code X-Forwarded-For} header of the request, in order */
    public static long key(SocketAddress peer, List<String> forwardedFor, boolean trustProxy) {
        if (trustProxy && !forwardedFor.isEmpty()) {
            long k = lastForwarded(forwardedFor.get(forwardedFor.size() - 1));
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
        // A literal address only (never a name to resolve); anything else falls back to the peer.
        byte[] address = NetUtil.createByteArrayFromIpAddressString(header.substring(start, end));
        return address == null ? UNKNOWN : hash(address);
    }

    /** IPv4 whole; IPv6 by its first 64 bits (an IPv4-mapped IPv6 address as its IPv4 address). */
    private static long hash(byte[] address) {
        if (address.length == 16 && isMappedIpv4(address)) {
            address = Arrays.copyOfRange(address, 12, 16);
        }
        long prefix = 0;
        int bytes = Math.min(8, address.length);
        for (int i = 0; i < bytes; i++) {
            prefix = prefix << 8 | (address[i] & 0xff);
        }
        long h = ClickRateLimiter.mix(ClickRateLimiter.mix(prefix ^ address.length));
        return h == UNKNOWN ? 1 : h;
    }

    private static boolean isMappedIpv4(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }
}
