package io.adgrid.reporting.stats;

/** A report request that cannot be answered as asked; becomes a 400 with this message. */
public final class BadQueryException extends RuntimeException {

    public BadQueryException(String message) {
        super(message, null, false, false);
    }
}
