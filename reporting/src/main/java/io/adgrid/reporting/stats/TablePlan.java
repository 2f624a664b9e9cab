package io.adgrid.reporting.stats;

import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import io.adgrid.persister.rollup.CounterTable;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.persister.rollup.Summary;

/**
 * Which counter table answers which part of a report's range (issue 22): the coarsest one that
 * holds that time completely and whose rows fall whole into the answer's buckets. A range is
 * split into at most five pieces: minutes, hours, days, hours, minutes. Each piece is read from
 * the smallest summary of its table that answers the report ({@link #table}). A range reaching
 * before the day retention's boundary ({@link RollupBoundaries#daysFrom}) is refused: no table holds that time.
 *
 * @param pieces in time order, covering [from, to) exactly once
 */
record TablePlan(List<Piece> pieces) {

    /** Minutes [from, to) (epoch minutes) read from one table. */
    record Piece(CounterTable table, long from, long to) {
    }

    static TablePlan of(long from, long to, CounterTable coarsest, RollupBoundaries bounds) {
        if (from < to && bounds.dropped(from)) {
            Instant kept = Instant.ofEpochSecond(bounds.daysFrom() * 60);
            throw new BadQueryException("counts before " + kept + " were dropped (day retention): nothing is kept before then;"
                    + " ask for a range from " + kept + " on");
        }
        List<Piece> pieces = new ArrayList<>();
        cover(from, to, coarsest, bounds, pieces);
        pieces.sort(Comparator.comparingLong(Piece::from));
        return new TablePlan(pieces);
    }

    /** The coarsest table whose rows fall whole into the buckets of {@code grouping} over [from, to). */
    static CounterTable coarsest(Grouping grouping, Instant from, Instant to) {
        if (!(grouping instanceof Grouping.ByTime t) || t.granularity() == Granularity.TOTAL) {
            return CounterTable.DAY;
        }
        return switch (t.granularity()) {
            case MINUTE -> CounterTable.MINUTE;
            case HOUR -> offsetsDivide(t.zone(), from, to, 3600) ? CounterTable.HOUR : CounterTable.MINUTE;
            default -> offsetsDivide(t.zone(), from, to, 24 * 3600) ? CounterTable.DAY
                    : offsetsDivide(t.zone(), from, to, 3600) ? CounterTable.HOUR : CounterTable.MINUTE;
        };
    }

    /**
     * The table a piece is read from: the smallest summary of its rollup table (V14) that keeps every
     * id the report filters or groups by, else the rollup table itself. A summary holds the same
     * times as its table, so the choice never changes an answer, only how many rows are read.
     *
     * @param grouping null or a grouping by time: no id is grouped by
     */
    static String table(CounterTable grain, Dimension selected, Grouping grouping) {
        Dimension grouped = grouping instanceof Grouping.ById byId ? byId.dimension() : null;
        for (Summary summary : Summary.of(grain)) {
            if (keeps(summary, selected) && keeps(summary, grouped)) {
                return summary.table;
            }
        }
        return grain.table;
    }

    private static boolean keeps(Summary summary, Dimension d) {
        return d == null || summary.ids.contains(d.column);
    }

    /** Whether every UTC offset the zone has in [from, to) is a whole multiple of {@code seconds}. */
    private static boolean offsetsDivide(ZoneId zone, Instant from, Instant to, int seconds) {
        ZoneRules rules = zone.getRules();
        if (rules.getOffset(from).getTotalSeconds() % seconds != 0) {
            return false;
        }
        for (ZoneOffsetTransition tr = rules.nextTransition(from); tr != null && tr.getInstant().isBefore(to);
             tr = rules.nextTransition(tr.getInstant())) {
            if (tr.getOffsetAfter().getTotalSeconds() % seconds != 0) {
                return false;
            }
        }
        return true;
    }

    private static void cover(long a, long z, CounterTable level, RollupBoundaries b, List<Piece> out) {
        if (a >= z) {
            return;
        }
        switch (level) {
            case DAY -> {
                long s = ceil(a, CounterTable.DAY.minutes);
                long e = Math.min(floor(z, CounterTable.DAY.minutes), b.daysUntil());
                if (s < e) {
                    cover(a, s, CounterTable.HOUR, b, out);
                    out.add(new Piece(CounterTable.DAY, s, e));
                    cover(e, z, CounterTable.HOUR, b, out);
                } else {
                    cover(a, z, CounterTable.HOUR, b, out);
                }
            }
            case HOUR -> {
                long s = Math.max(ceil(a, CounterTable.HOUR.minutes), b.hoursFrom());
                long e = Math.min(floor(z, CounterTable.HOUR.minutes), b.hoursUntil());
                if (s < e) {
                    cover(a, s, CounterTable.MINUTE, b, out);
                    out.add(new Piece(CounterTable.HOUR, s, e));
                    cover(e, z, CounterTable.MINUTE, b, out);
                } else {
                    cover(a, z, CounterTable.MINUTE, b, out);
                }
            }
            case MINUTE -> {
                if (a < b.minutesFrom()) {
                    throw new BadQueryException("minute detail before " + Instant.ofEpochSecond(b.minutesFrom() * 60)
                            + " was rolled up and dropped (hour detail before " + Instant.ofEpochSecond(b.hoursFrom() * 60)
                            + "): ask for whole hours or days there (a coarser granularity, or from/to on whole hours or UTC days)");
                }
                out.add(new Piece(CounterTable.MINUTE, a, z));
            }
        }
    }

    private static long ceil(long minute, long unit) {
        return -Math.floorDiv(-minute, unit) * unit;
    }

    private static long floor(long minute, long unit) {
        return Math.floorDiv(minute, unit) * unit;
    }
}
