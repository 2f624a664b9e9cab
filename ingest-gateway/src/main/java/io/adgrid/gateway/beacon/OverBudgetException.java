package io.adgrid.gateway.beacon;

import io.netty.handler.codec.DecoderException;

/**
 * A request whose body does not fit in what the gateway may buffer across all connections: answered
 * 503 with Retry-After (overload, not bad input), and its connection closed.
 */
public final class OverBudgetException extends DecoderException {

    public OverBudgetException(String message) {
        super(message);
    }
}
