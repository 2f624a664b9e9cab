package io.adgrid.grid.counters;

import io.adgrid.grid.port.GridRefusal;
import com.hazelcast.core.HazelcastException;

/**
 * The owner of a partition refuses a batch that counts, before applying anything, because it could
 * not journal it now (its journal disk is full). Not retried by Hazelcast; the gateway re-sends the
 * batch a few times, then answers {@code 503} (nothing of it counted).
 */
public class JournalUnavailableException extends HazelcastException implements GridRefusal {

    /** The value Java computed before the class took {@link GridRefusal}: members of both versions read each other's refusals. */
    private static final long serialVersionUID = 8965646412286818940L;

    public JournalUnavailableException(String message) {
        super(message);
    }
}
