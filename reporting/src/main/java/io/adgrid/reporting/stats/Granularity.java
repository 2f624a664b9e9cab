package io.adgrid.reporting.stats;

import java.time.temporal.ChronoUnit;

/** Bucket size of a stats answer; the SQL unit names are fixed here, never taken from a request. */
public enum Granularity {
    MINUTE(ChronoUnit.MINUTES, "minute"),
    HOUR(ChronoUnit.HOURS, "hour"),
    DAY(ChronoUnit.DAYS, "day"),
    TOTAL(null, null);

    final ChronoUnit unit;
    final String sqlUnit;

    Granularity(ChronoUnit unit, String sqlUnit) {
        this.unit = unit;
        this.sqlUnit = sqlUnit;
    }
}
