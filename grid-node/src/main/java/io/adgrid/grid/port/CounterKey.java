package io.adgrid.grid.port;

/**
 * What AdGrid counts by: one UTC minute (epoch minutes) of one banner shown on one publisher.
 * The campaign rides along so reports by campaign need no join.
 */
public record CounterKey(long minute, long campaignId, long bannerId, long publisherId) {
}
