package io.adgrid.gateway.batching;

/**
 * A request given up after a grid call whose outcome is unknown: the partition's owner may have
 * applied it (its backup did not acknowledge in time, or no answer came back). It is answered 503,
 * like every failure, but as "outcome unknown": a retry is counted once (a replay of what was counted
 * is answered as a duplicate), and the gateway never says "refused" of what it may have counted.
 */
public final class OutcomeUnknownException extends RuntimeException {

    public OutcomeUnknownException(Throwable cause) {
        super("the grid may have counted it (" + cause + ")", cause);
    }
}
