package io.adgrid.persister.rollup;

import java.util.Arrays;
import java.util.List;
import io.adgrid.grid.port.CounterKey;

/**
 * Summaries of the rollup tables (V14): a rollup table's rows summed over some of its ids, so a
 * campaign's report reads one row per hour or day and the top banners of a day one row per banner.
 * A summary is complete exactly where its {@link #source} is: it is written in the transactions that
 * write the source (the roll, a late count), never on its own. Names are fixed here, never taken from a request.
 */
public enum Summary {
    CAMPAIGN_HOUR("campaign_hour", CounterTable.HOUR, "campaign_id"),
    CAMPAIGN_DAY("campaign_day", CounterTable.DAY, "campaign_id"),
    BANNER_DAY("banner_day", CounterTable.DAY, "banner_id", "campaign_id");

    public final String table;
    /** The rollup table it sums; it has the same time column and row length. */
    public final CounterTable source;
    /** The ids it keeps (the others are summed over). */
    public final List<String> ids;

    Summary(String table, CounterTable source, String... ids) {
        this.table = table;
        this.source = source;
        this.ids = List.of(ids);
    }

    /** The summaries of one rollup table, smallest first. */
    public static List<Summary> of(CounterTable source) {
        return Arrays.stream(values()).filter(s -> s.source == source).toList();
    }

    /** The key of the summary row holding a source row's counts: the ids it does not keep are 0. */
    public CounterKey keyOf(CounterKey sourceRow) {
        return new CounterKey(sourceRow.minute(), sourceRow.campaignId(),
                ids.contains("banner_id") ? sourceRow.bannerId() : 0, ids.contains("publisher_id") ? sourceRow.publisherId() : 0);
    }

    /** Sums the source rows of one time row (parameter: its start) into this summary; the summary holds none of that time yet. */
    public String rollSql() {
        String keys = String.join(", ", ids);
        return ("INSERT INTO %1$s (%2$s, %3$s, impressions, clicks, conversions, revenue_micros, suspect_clicks, invalid)"
                + " SELECT %2$s, %3$s, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks),"
                + " sum(invalid)"
                + " FROM %4$s WHERE %2$s = ? GROUP BY %2$s, %3$s").formatted(table, source.column, keys, source.table);
    }

    /**
     * Adds counts to summary rows (parameters: arrays of epoch minutes, campaign ids, banner ids,
     * then the six counts; a summary without banners ignores that array).
     */
    public String addSql() {
        String keys = String.join(", ", ids);
        String values = String.join(", ", ids.stream().map(c -> c.equals("campaign_id") ? "cp" : "b").toList());
        return """
                INSERT INTO %1$s AS s (%2$s, %3$s, impressions, clicks, conversions, revenue_micros, suspect_clicks, invalid)
                SELECT to_timestamp(m * 60), %4$s, i, cl, cv, r, sc, iv
                FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],
                        ?::bigint[])
                    AS t(m, cp, b, i, cl, cv, r, sc, iv)
                ON CONFLICT (%2$s, %3$s) DO UPDATE SET
                    impressions = s.impressions + EXCLUDED.impressions,
                    clicks = s.clicks + EXCLUDED.clicks,
                    conversions = s.conversions + EXCLUDED.conversions,
                    revenue_micros = s.revenue_micros + EXCLUDED.revenue_micros,
                    suspect_clicks = s.suspect_clicks + EXCLUDED.suspect_clicks,
                    invalid = s.invalid + EXCLUDED.invalid""".formatted(table, source.column, keys, values);
    }
}
