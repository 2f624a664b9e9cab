package io.adgrid.persister.schema;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/**
 * The role reports read as (issue 20): it may read the counters, the write-behind watermarks, the
 * rollup boundaries and the campaigns' names, and nothing else: not {@code campaign_secret} (the
 * signing keys), and it writes nothing. The embedded server gets it at each start of {@code run};
 * an external database gets it from an operator, with {@link #GRANTS} (docs/SECURITY.md).
 */
public final class ReportingRole {

    public static final String NAME = "adgrid_reporting";

    /** Every table a report, the campaign list or the dashboard reads (partitions are read through these). */
    public static final List<String> TABLES = List.of("counter_minute", "counter_hour", "counter_day", "campaign_hour", "campaign_day",
            "banner_day", "flush_watermark", "rollup_state", "campaign", "counter_quarantine", "campaign_price", "campaign_budget",
            "reach_banner_day", "reach_campaign_day");

    /** The privileges, as an operator runs them on an external database (after CREATE ROLE ... LOGIN PASSWORD). */
    public static final String GRANTS = "GRANT USAGE ON SCHEMA public TO " + NAME + ";\n"
            + "GRANT SELECT ON " + String.join(", ", TABLES) + " TO " + NAME + ";\n"
            + "ALTER ROLE " + NAME + " SET default_transaction_read_only = on;\n";

    private ReportingRole() {
    }

    /**
     * Creates the role (or sets its password) and gives it exactly {@link #GRANTS}; run again, it
     * does the same. Needs a connection that may create roles and grant on the tables (the embedded
     * server's superuser).
     *
     * @param password a generated one (letters, digits, - and _), never taken from a request
     */
    public static void ensure(DataSource admin, String password) throws SQLException {
        if (!password.matches("[A-Za-z0-9_-]{16,}")) {
            throw new IllegalArgumentException("the reporting role's password must be a generated token");
        }
        try (Connection c = admin.getConnection(); Statement st = c.createStatement()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                // Two starts at once must not both try to create it.
                st.execute("SELECT pg_advisory_xact_lock(hashtext('adgrid.reporting-role'))");
                st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + NAME + "') THEN "
                        + "CREATE ROLE " + NAME + " LOGIN; END IF; END $$");
                st.execute("SET LOCAL password_encryption = 'scram-sha-256'");
                st.execute("ALTER ROLE " + NAME + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '" + password + "'");
                // Exactly these privileges, whatever an earlier version granted.
                st.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + NAME);
                for (String statement : GRANTS.split(";\n")) {
                    st.execute(statement);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }
}
