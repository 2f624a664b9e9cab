package io.adgrid.app.architecture.planted;

import com.hazelcast.spi.impl.NodeEngine;

/** A planted violation for {@code ArchitectureTest}: Hazelcast internals outside the grid port. */
public class UsesHazelcastInternals {
    public String name(NodeEngine engine) {
        return engine.getClusterService().getClusterId().toString();
    }
}
