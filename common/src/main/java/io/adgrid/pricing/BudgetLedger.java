package io.adgrid.pricing;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a campaign's budget lets it bill, from exact counts, in integers.
 *
 * <p>An event is billed whole or not at all. Days are taken in order (days in the budget's zone),
 * and within a day its price periods in order (a local day can straddle a UTC midnight, where
 * prices change). Within one day and price every billable event costs the same
 * ({@link Price#unitMicros()}), so which of them come first does not matter: of {@code n} events
 * at unit cost {@code u}, {@code min(n, floor(room / u))} are billed, where {@code room} is what is
 * left of the day's budget and of the total budget; the rest are <em>over budget</em>. So billed
 * never exceeds a budget, and equals it once it is crossed when the budget is a multiple of the
 * unit cost. Only the billable kind is capped and counted over budget: impressions under CPM,
 * clean clicks under CPC, conversions under CPA. A free event (unit cost 0) is always billed.
 */
public final class BudgetLedger {

    private BudgetLedger() {
    }

    /**
     * Counts of one campaign on one local day under one price.
     *
     * @param periodFromMinute the epoch minute its price started (orders the parts of a day); any value when unpriced
     * @param price            null: no price then (nothing billed, nothing over budget)
     */
    public record Part(LocalDate day, long periodFromMinute, Price price, long impressions, long cleanClicks, long conversions) {
    }

    /** One day's bill: what its counts cost, what of it is billed, and how many billable events were not. */
    public record Day(BigInteger spendMicros, BigInteger billedMicros, long overBudget) {
        public static final Day NONE = new Day(BigInteger.ZERO, BigInteger.ZERO, 0);
    }

    /** The bill per day, and over all days; {@code budget} null: uncapped. */
    public record Bill(Budget budget, SortedMap<LocalDate, Day> days, BigInteger spendMicros, BigInteger billedMicros, long overBudget) {

        public Day day(LocalDate day) {
            return days.getOrDefault(day, Day.NONE);
        }

        /** What may still be billed on {@code today}: the least room of the day's and the total budget; null when uncapped. */
        public Long remainingMicros(LocalDate today) {
            if (budget == null) {
                return null;
            }
            Long room = null;
            if (budget.dailyMicros() != null) {
                room = budget.dailyMicros() - day(today).billedMicros().longValueExact();
            }
            if (budget.totalMicros() != null) {
                long total = budget.totalMicros() - billedMicros.min(BigInteger.valueOf(budget.totalMicros())).longValueExact();
                room = room == null ? total : Math.min(room, total);
            }
            return room;
        }

        /**
         * Whether the campaign can bill nothing more today: no room left, or less room than one event
         * costs at {@code current} (the price in force now; null: none).
         */
        public boolean exhausted(LocalDate today, Price current) {
            Long room = remainingMicros(today);
            if (room == null) {
                return false;
            }
            return room == 0 || current != null && current.unitMicros() > 0 && room < current.unitMicros();
        }
    }

    /** Bills {@code parts} (in any order) under {@code budget}; a null budget bills everything. */
    public static Bill bill(Budget budget, Collection<Part> parts) {
        List<Part> ordered = new ArrayList<>(parts);
        ordered.sort(Comparator.comparing(Part::day).thenComparingLong(p -> p.price() == null ? Long.MIN_VALUE : p.periodFromMinute()));
        Budget b = budget;
        SortedMap<LocalDate, Day> days = new TreeMap<>();
        BigInteger spend = BigInteger.ZERO;
        BigInteger billed = BigInteger.ZERO;
        long over = 0;
        Long totalRoom = b == null ? null : b.totalMicros();
        LocalDate day = null;
        Long dayRoom = null;
        for (Part p : ordered) {
            if (!p.day().equals(day)) {
                day = p.day();
                dayRoom = b == null ? null : b.dailyMicros();
            }
            if (p.price() == null) {
                days.putIfAbsent(day, Day.NONE);
                continue;
            }
            long units = p.price().billableUnits(p.impressions(), p.cleanClicks(), p.conversions());
            long unit = p.price().unitMicros();
            BigInteger partSpend = p.price().spendMicros(p.impressions(), p.cleanClicks(), p.conversions());
            Long room = min(dayRoom, totalRoom);
            long billedUnits = room == null || unit == 0 ? units : Math.min(units, room / unit);
            // billedUnits * unit <= room <= 10^18 when capped: no overflow
            BigInteger partBilled = room == null || unit == 0 ? partSpend : BigInteger.valueOf(billedUnits * unit);
            long partOver = units - billedUnits;
            if (room != null && unit != 0) {
                long cost = billedUnits * unit;
                dayRoom = dayRoom == null ? null : dayRoom - cost;
                totalRoom = totalRoom == null ? null : totalRoom - cost;
            }
            Day before = days.getOrDefault(day, Day.NONE);
            days.put(day, new Day(before.spendMicros().add(partSpend), before.billedMicros().add(partBilled), before.overBudget() + partOver));
            spend = spend.add(partSpend);
            billed = billed.add(partBilled);
            over += partOver;
        }
        return new Bill(b, Collections.unmodifiableSortedMap(days), spend, billed, over);
    }

    private static Long min(Long a, Long b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Math.min(a, b);
    }
}
