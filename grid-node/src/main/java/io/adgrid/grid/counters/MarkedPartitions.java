package io.adgrid.grid.counters;

import com.hazelcast.core.HazelcastInstance;

/**
 * Whether the partition of a key has its mark on the member running an entry processor (read on the
 * partition's thread). Implemented beside the grid's Hazelcast internals and handed to the members in
 * their user context, so the counters need none of them.
 */
public interface MarkedPartitions {

    String USER_CONTEXT_KEY = "adgrid.marked-partitions";

    boolean markedHere(HazelcastInstance member, Object key);
}
