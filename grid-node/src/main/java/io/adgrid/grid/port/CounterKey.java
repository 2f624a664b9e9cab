package io.adgrid.grid.port;

/**
 * What AdGrid counts by: one UTC minute (epoch minutes) of one banner shown on one publisher.
 * The campaign rides along so reports by campaign need no join.
 */
public record CounterKey(long minute, long campaignId, long bannerId, long publisherId) {

    /** The key of this key's campaign and minute: banner and publisher 0. */
    public CounterKey campaignMinute() {
        return new CounterKey(minute, campaignId, 0, 0);
    }
}
