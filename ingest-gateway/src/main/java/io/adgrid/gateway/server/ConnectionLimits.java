package io.adgrid.gateway.server;

import java.time.Duration;

/**
 * What one client, or all of them together, may hold of the gateway while a request is on its way in
 * (slow-loris and slow-body defences, issue 20).
 *
 * @param headerTimeout    a request's headers must be read within this time of its first byte; else the connection is closed
 * @param bodyTimeout      its body within this time of its headers; else the connection is closed
 * @param maxBufferedBytes request bodies held across all connections while they arrive: a body declaring more than
 *                         is left is answered 503 with Retry-After (a chunked one: its connection is closed)
 * @param maxConnectionsPerAddress open connections from one client address; more are closed at once (0: no cap;
 *                         behind a proxy every connection comes from the proxy's address)
 */
public record ConnectionLimits(Duration headerTimeout, Duration bodyTimeout, long maxBufferedBytes, int maxConnectionsPerAddress) {

    public ConnectionLimits {
        if (headerTimeout.isNegative() || headerTimeout.isZero() || bodyTimeout.isNegative() || bodyTimeout.isZero()
                || maxBufferedBytes < 1024 || maxConnectionsPerAddress < 0) {
            throw new IllegalArgumentException("connection limits out of range: header timeout " + headerTimeout + ", body timeout "
                    + bodyTimeout + ", " + maxBufferedBytes + " buffered bytes, " + maxConnectionsPerAddress + " connections per address");
        }
    }

    public static ConnectionLimits defaults() {
        return new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(30), 128L * 1024 * 1024, 1024);
    }
}
