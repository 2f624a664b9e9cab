package io.adgrid.gateway.catalog;

/** The catalog has more entries of one kind than the gateway is sized for; the message names the setting. */
public final class CatalogFullException extends RuntimeException {

    public CatalogFullException(String what, long limit, String setting) {
        super("the catalog has more " + what + " than this gateway is sized for (" + limit + "): raise " + setting
                + " and restart the gateway");
    }
}
