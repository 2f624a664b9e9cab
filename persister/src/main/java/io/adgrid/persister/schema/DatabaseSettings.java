package io.adgrid.persister.schema;

/** Where PostgreSQL is. Printing it never shows the password. */
public record DatabaseSettings(String url, String user, String password) {

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + url + ", user=" + user + "]";
    }
}
