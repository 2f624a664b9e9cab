package io.adgrid.gateway.planted;

import io.adgrid.grid.counters.RouteState;

/** A planted violation for {@code ArchitectureTest}: a gateway class holding the grid's mutable entry state. */
public class GatewayOnTheEntries {
    public RouteState state;
}
