package io.adgrid.reporting.stats;

import java.sql.SQLException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.Watermark;

/**
 * Exact totals at any moment: what PostgreSQL holds plus what only the grid holds.
 *
 * <p>The grid is read first, then PostgreSQL in one snapshot. A grid part whose batch the
 * watermark shows as written is left out: it is already in PostgreSQL's totals. A batch
 * written between the two reads is therefore counted once, from PostgreSQL.
 *
 * <p>Spend is priced from the same PostgreSQL snapshot on both sides: each counter at its
 * campaign's price in force at its minute ({@link Tally}).
 */
public final class StatsService {

    private final StatsRepository database;
    private final GridCounters grid;

    public StatsService(StatsRepository database, GridCounters grid) {
        this.database = database;
        this.grid = grid;
    }

    /** The counts and spend per group. @param live false reads only PostgreSQL ({@code source=db}) */
    public Map<Object, Tally> tallies(Selection selection, Grouping grouping, boolean live) {
        List<MemorySnapshot> memory = live ? grid.snapshot(selection.toFilter()) : List.of();
        return merged(selection, grouping, memory, null);
    }

    /** The counts per group, without spend. @param live false reads only PostgreSQL ({@code source=db}) */
    public Map<Object, Counts> totals(Selection selection, Grouping grouping, boolean live) {
        Map<Object, Counts> out = new HashMap<>();
        tallies(selection, grouping, live).forEach((k, v) -> out.put(k, v.counts()));
        return out;
    }

    /**
     * The tallies of every id that can be among the first {@code n} by {@code metric}, and maybe more:
     * for a count, PostgreSQL ranks its own totals and returns its first n plus every id the grid holds
     * counts for. A count in the grid only adds to an id's total, so no other id can rank above all of
     * those n (issue 22: a day's top banners read 100 rows, not every banner of the day).
     */
    public Map<Object, Tally> topCandidates(Selection selection, Dimension dimension, Metric metric, int n, boolean live) {
        Grouping grouping = new Grouping.ById(dimension);
        List<MemorySnapshot> memory = live ? grid.snapshot(selection.toFilter()) : List.of();
        if (metric.column == null) {
            return merged(selection, grouping, memory, null);
        }
        Set<Long> inGrid = new HashSet<>();
        for (MemorySnapshot s : memory) {
            s.unpersisted(Watermark.NONE).asMap().keySet().forEach(k -> inGrid.add((Long) grouping.keyOf(k)));
        }
        return merged(selection, grouping, memory, new StatsRepository.Ranking(metric.column, n, inGrid));
    }

    /**
     * Live totals over all traffic in [from, to), per id of each given dimension (the ops
     * dashboard's top lists): the grid is read once for all of them.
     */
    public Map<Dimension, Map<Long, Tally>> liveTotalsById(List<Dimension> dimensions, Instant from, Instant to) {
        Selection selection = new Selection(null, 0, from, to);
        List<MemorySnapshot> memory = grid.snapshot(selection.toFilter());
        Map<Dimension, Map<Long, Tally>> out = new EnumMap<>(Dimension.class);
        for (Dimension d : dimensions) {
            Map<Long, Tally> byId = new HashMap<>();
            merged(selection, new Grouping.ById(d), memory, null).forEach((k, v) -> byId.put((Long) k, v));
            out.put(d, byId);
        }
        return out;
    }

    /** @param ranking null for every group, else only the groups PostgreSQL ranks first and those it names */
    private Map<Object, Tally> merged(Selection selection, Grouping grouping, List<MemorySnapshot> memory,
                                      StatsRepository.Ranking ranking) {
        StatsRepository.DbRead db;
        try {
            db = database.read(selection, grouping, memory.stream().map(MemorySnapshot::epoch).toList(), ranking);
        } catch (SQLException e) {
            throw new DatabaseUnavailableException(e);
        }
        Map<Object, Tally> out = new HashMap<>(db.groups());
        for (MemorySnapshot s : memory) {
            UUID epoch = s.epoch();
            Watermark watermark = db.watermarks().getOrDefault(epoch, Watermark.NONE);
            for (Map.Entry<CounterKey, Counts> e : s.unpersisted(watermark).asMap().entrySet()) {
                CounterKey key = e.getKey();
                // priced like PostgreSQL's rows: the campaign's price at the counter's minute, from the same snapshot
                out.computeIfAbsent(grouping.keyOf(key), k -> new Tally()).add(e.getValue(), db.prices().at(key.campaignId(), key.minute()));
            }
        }
        return out;
    }

    /**
     * Unique reach (issue 21) of a campaign or banner selection, per UTC day its range touches: the
     * sketches PostgreSQL holds and, live, those the grid holds too (their union counts a user once).
     */
    public Map<Long, List<byte[]>> reachByDay(Selection selection, boolean live) {
        long fromDay = Math.floorDiv(selection.from().toEpochMilli(), 86_400_000L);
        long toDay = Math.floorDiv(selection.to().toEpochMilli() - 1, 86_400_000L);
        Map<Long, List<byte[]>> out = new java.util.TreeMap<>();
        if (live) {
            long campaign = selection.dimension() == Dimension.CAMPAIGN ? selection.id() : 0;
            long banner = selection.dimension() == Dimension.BANNER ? selection.id() : 0;
            for (io.adgrid.grid.reach.ReachSketch r : grid.reach(campaign, banner, fromDay, toDay)) {
                out.computeIfAbsent(r.day(), d -> new java.util.ArrayList<>()).add(r.sketch());
            }
        }
        try {
            database.reachSketches(selection.dimension(), selection.id(), fromDay, toDay)
                    .forEach((day, sketch) -> out.computeIfAbsent(day, d -> new java.util.ArrayList<>()).add(sketch));
        } catch (SQLException e) {
            throw new DatabaseUnavailableException(e);
        }
        return out;
    }

    /** PostgreSQL could not be read; the API answers 503. */
    public static final class DatabaseUnavailableException extends RuntimeException {
        DatabaseUnavailableException(SQLException cause) {
            super("database unavailable: " + cause.getMessage(), cause);
        }
    }
}
