package io.adgrid.gatling.beacon;

/** One rendering of a banner on a publisher's page: what its impression pixel and click URL are signed over. */
public record View(long banner, long campaign, long publisher, long ts, String nonce) {
}
