package io.adgrid.grid.port.planted;

import com.hazelcast.core.HazelcastInstance;

/** A planted violation for {@code ArchitectureTest}: a port type that needs Hazelcast. */
public class PortOnHazelcast {
    public HazelcastInstance grid;
}
