package io.adgrid.grid.counters;

import com.hazelcast.core.HazelcastException;

/**
 * The owner of a partition refuses a batch that counts, before applying anything, because it could
 * not journal it now (its journal disk is full). Not retried by Hazelcast; the gateway re-sends the
 * batch a few times, then answers {@code 503} (nothing of it counted).
 */
public class JournalUnavailableException extends HazelcastException {

    public JournalUnavailableException(String message) {
        super(message);
    }
}
