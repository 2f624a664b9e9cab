package io.adgrid.persister.rollup;

/** The three counter tables, finest first; names are fixed here, never taken from a request. */
public enum CounterTable {
    MINUTE("counter_minute", "minute", 1),
    HOUR("counter_hour", "hour", 60),
    DAY("counter_day", "day", 24 * 60);

    public final String table;
    /** The time column: the start of the row's minute, hour or UTC day. */
    public final String column;
    public final long minutes;

    CounterTable(String table, String column, long minutes) {
        this.table = table;
        this.column = column;
        this.minutes = minutes;
    }

    /** The start of the row holding {@code minute}, in epoch minutes. */
    public long rowOf(long minute) {
        return minute - Math.floorMod(minute, minutes);
    }
}
