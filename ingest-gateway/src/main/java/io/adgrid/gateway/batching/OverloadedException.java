package io.adgrid.gateway.batching;

/** The gateway holds as many unconfirmed events as it may; the client should retry shortly. */
public final class OverloadedException extends RuntimeException {

    public OverloadedException(String message) {
        super(message, null, false, false);
    }
}
