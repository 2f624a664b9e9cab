package io.adgrid.grid.counters;

import io.adgrid.grid.port.GridRefusal;
import com.hazelcast.core.HazelcastException;

/**
 * A member refuses a batch that counts because this life of the grid has not yet replayed every
 * journal of a dead one (issue 17.2): counted now, a retried event would be counted again by the
 * replay. Not retried by Hazelcast; the gateway answers {@code 503 recovering} and the client retries.
 */
public class CountingRefusedException extends HazelcastException implements GridRefusal {

    /** The value Java computed before the class took {@link GridRefusal}: members of both versions read each other's refusals. */
    private static final long serialVersionUID = 1091029557555454179L;

    public CountingRefusedException(String message) {
        super(message);
    }

    @Override
    public boolean untilReplayed() {
        return true;
    }
}
