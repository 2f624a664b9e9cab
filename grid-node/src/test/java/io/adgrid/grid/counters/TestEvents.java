package io.adgrid.grid.counters;

import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterFilter;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.Watermark;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.adgrid.event.EventType;

/** Builds grid events and applies entry processors to plain map entries, as the partition thread would. */
public final class TestEvents {

    /** A fixed UTC minute (2024-03-10T16:00Z) so no test depends on the clock. */
    public static final long BASE_MINUTE = 28_502_400L;

    private TestEvents() {
    }

    public static long ts(long minute, long secondOfMinute) {
        return minute * 60_000L + secondOfMinute * 1_000L;
    }

    public static GridEvent impression(long campaign, long banner, long publisher, long tsMillis, long id) {
        return new GridEvent(EventType.IMPRESSION, campaign, banner, publisher, tsMillis, id, ~id, null, 0);
    }

    /** A click; it is the click of {@code impression(campaign, banner, publisher, tsMillis, id)} (same signature bits). */
    public static GridEvent click(long campaign, long banner, long publisher, long tsMillis, long id) {
        return new GridEvent(EventType.CLICK, campaign, banner, publisher, tsMillis, id, ~id, null, 0);
    }

    /** The click of a rendered impression: same banner, publisher, ts and signature bits. */
    public static GridEvent clickOf(GridEvent impression) {
        return new GridEvent(EventType.CLICK, impression.campaignId(), impression.bannerId(), impression.publisherId(),
                impression.tsMillis(), impression.idHi(), impression.idLo(), null, 0);
    }

    public static GridEvent sale(long campaign, long banner, long publisher, long tsMillis, String order, long amountMicros) {
        long id = order.hashCode() * 31L + amountMicros;
        return new GridEvent(EventType.SALE, campaign, banner, publisher, tsMillis, id, ~id, order, amountMicros);
    }

    /** Events grouped by the grid entry that owns them, in their order. */
    public static Map<Long, List<GridEvent>> byRouteKey(List<GridEvent> events) {
        Map<Long, List<GridEvent>> out = new LinkedHashMap<>();
        for (GridEvent e : events) {
            out.computeIfAbsent(e.routeKey(), k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    /**
     * What counting every event once, in list order, gives. A click is clean when the impression with
     * its identity (same banner, ts minute and signature bits) came earlier in the list and the
     * gateway did not flag it; otherwise it is a suspect click.
     */
    public static CounterDeltas expected(List<GridEvent> events) {
        CounterDeltas out = new CounterDeltas();
        Set<List<Long>> impressions = new HashSet<>();
        for (GridEvent e : events) {
            Counts c = out.at(e.counterKey());
            switch (e.type()) {
                case IMPRESSION -> {
                    c.impressions++;
                    impressions.add(renderingOf(e));
                }
                case CLICK -> {
                    if (!e.suspect() && impressions.contains(renderingOf(e))) {
                        c.clicks++;
                    } else {
                        c.suspectClicks++;
                    }
                }
                case SALE -> {
                    c.conversions++;
                    c.revenueMicros += e.amountMicros();
                }
            }
        }
        return out;
    }

    private static List<Long> renderingOf(GridEvent e) {
        return List.of(e.bannerId(), e.minute(), e.idHi(), e.idLo());
    }

    public static Map.Entry<Long, RouteState> emptyEntry(long key) {
        return new AbstractMap.SimpleEntry<>(key, null);
    }

    /** Positions an ApplyBatch answer reports as duplicates (empty for null). */
    public static List<Integer> positions(long[] answer) {
        return withVerdict(answer, ApplyBatch.DUPLICATE);
    }

    /** Positions an ApplyBatch answer reports as counted suspect clicks (empty for null). */
    public static List<Integer> suspects(long[] answer) {
        return withVerdict(answer, ApplyBatch.SUSPECT);
    }

    /** Positions an ApplyBatch answer gives {@code verdict} (empty for null). */
    public static List<Integer> withVerdict(long[] answer, int verdict) {
        List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; answer != null && i < answer.length * 64 / 3; i++) {
            if (ApplyBatch.verdict(answer, i) == verdict) {
                out.add(i);
            }
        }
        return out;
    }

    /** Everything the entry holds that PostgreSQL (at watermark 0) does not. */
    public static CounterDeltas unpersisted(Map.Entry<Long, RouteState> entry) {
        MemorySnapshot snapshot = new SnapshotCounters(CounterFilter.all()).process(entry);
        return snapshot == null ? new CounterDeltas() : snapshot.unpersisted(Watermark.full(0));
    }

    public static Counts total(CounterDeltas deltas) {
        Counts sum = new Counts();
        deltas.asMap().values().forEach(sum::add);
        return sum;
    }
}
