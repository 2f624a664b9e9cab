package io.adgrid.app.config;

import java.util.List;
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

    /**
     * The health indicators that make up this role's readiness ({@code /actuator/health/readiness}).
     * A node's readiness is only "its member runs": its StatefulSet starts pods one by one once the
     * previous one is ready, so waiting there for a quorum (or for a journal only a later pod can
     * replay) would never let the second pod start.
     */
    public List<String> readiness() {
        return switch (this) {
            case RUN -> List.of("readinessState", "database", "catalog", "gridQuorum", "recovery");
            case NODE -> List.of("readinessState", "hazelcast");
            case GATEWAY -> List.of("readinessState", "catalog", "gridQuorum", "recovery");
            case REPORTING -> List.of("readinessState", "database", "gridQuorum", "recovery");
        };
    }

    public String command() {
        return name().toLowerCase(Locale.ROOT);
    }
}
