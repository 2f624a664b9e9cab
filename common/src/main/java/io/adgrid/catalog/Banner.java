package io.adgrid.catalog;

/** A banner belongs to one campaign for life; its click goes to the registered landing URL only. */
public record Banner(long id, long campaignId, String landingUrl) {
}
