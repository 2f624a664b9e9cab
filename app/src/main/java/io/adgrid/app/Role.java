package io.adgrid.app;

import java.util.Locale;

/** What one process does; {@code RUN} does everything in one process. */
public enum Role {
    RUN(true, true, true, true),
    NODE(true, false, false, false),
    GATEWAY(false, false, true, false),
    REPORTING(false, false, false, true);

    /** Holds grid data (a full Hazelcast member) and writes its own entries behind to PostgreSQL. */
    public final boolean dataMember;
    /** Starts and owns the embedded PostgreSQL when no ADGRID_DB_URL is given. */
    public final boolean ownsEmbeddedDatabase;
    public final boolean gateway;
    public final boolean reporting;

    Role(boolean dataMember, boolean ownsEmbeddedDatabase, boolean gateway, boolean reporting) {
        this.dataMember = dataMember;
        this.ownsEmbeddedDatabase = ownsEmbeddedDatabase;
        this.gateway = gateway;
        this.reporting = reporting;
    }

    public String command() {
        return name().toLowerCase(Locale.ROOT);
    }
}
