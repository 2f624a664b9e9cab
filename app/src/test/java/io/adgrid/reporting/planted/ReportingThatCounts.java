package io.adgrid.reporting.planted;

import io.adgrid.gateway.batching.GridBatcher;

/** A planted violation for {@code ArchitectureTest}: a reporting class on the gateway's write path. */
public class ReportingThatCounts {
    public GridBatcher batcher;
}
