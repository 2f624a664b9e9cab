package io.adgrid.reporting.stats;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.MemorySnapshot;
import io.adgrid.grid.port.Watermark;
import io.adgrid.persister.catalog.CampaignBudgets;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.rollup.CounterTable;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.persister.writebehind.Watermarks;
import io.adgrid.pricing.Budget;
import io.adgrid.pricing.BudgetLedger;
import io.adgrid.pricing.Price;
import io.adgrid.pricing.PriceBook;
import io.adgrid.pricing.PricingModel;

/**
 * Campaigns' counts per local day (a day in the budget's zone) and price period: what a
 * {@link BudgetLedger} bills. Merged live like {@link StatsService}: the grid first, then one
 * PostgreSQL snapshot holding the watermarks, the counts, the prices and the budgets, so a batch
 * written between the two reads is counted once.
 */
public final class CampaignDays {

    /**
     * What one read saw: the budgets and prices of its snapshot and each asked campaign's parts, and how
     * long its grid call and its PostgreSQL transaction took.
     */
    public record Read(Map<Long, Budget> budgets, PriceBook prices, Map<Long, List<BudgetLedger.Part>> parts,
                       long gridNanos, long databaseNanos) {

        /** The campaign's bill under its budget (null: uncapped). */
        public BudgetLedger.Bill bill(long campaign) {
            return BudgetLedger.bill(budgets.get(campaign), parts.getOrDefault(campaign, List.of()));
        }
    }

    private final DataSource dataSource;
    private final GridCounters grid;
    private volatile Set<Long> lastBudgeted;

    public CampaignDays(DataSource dataSource, GridCounters grid) {
        this.dataSource = dataSource;
        this.grid = grid;
    }

    /**
     * The parts of one campaign (when {@code campaign} is not null) or of every campaign with a
     * budget, counted from {@code from.apply(budget)} (budget null for a campaign without one) to {@code to}.
     *
     * @param live false reads only PostgreSQL ({@code source=db})
     */
    public Read read(Long campaign, Function<Budget, Instant> from, Instant to, boolean live) {
        Set<Long> asked = campaign != null ? Set.of(campaign) : budgetedCampaigns();
        Read read = read(campaign, from, to, live, asked);
        if (campaign == null && live && !asked.containsAll(read.budgets().keySet())) {
            // a budget was set between the grid read (which asked for the campaigns budgeted before) and the snapshot
            read = read(null, from, to, true, lastBudgeted);
        }
        return read;
    }

    /** The campaigns budgeted at the last read of them all (read from PostgreSQL the first time). */
    private Set<Long> budgetedCampaigns() {
        Set<Long> known = lastBudgeted;
        if (known != null) {
            return known;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT campaign_id FROM campaign_budget");
             ResultSet rs = ps.executeQuery()) {
            Set<Long> ids = new HashSet<>();
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
            return ids;
        } catch (SQLException e) {
            throw new StatsService.DatabaseUnavailableException(e);
        }
    }

    private Read read(Long campaign, Function<Budget, Instant> from, Instant to, boolean live, Set<Long> gridCampaigns) {
        long toMinute = ceilMinute(to);
        long started = System.nanoTime();
        // summed per campaign and minute by each entry: a refresh moves a few sums, not every banner and publisher key
        List<MemorySnapshot> memory = !live ? List.of() : grid.campaignSums(gridCampaigns, Long.MIN_VALUE, toMinute);
        long gridNanos = System.nanoTime() - started;
        started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                Map<UUID, Watermark> watermarks = Watermarks.read(c, memory.stream().map(MemorySnapshot::epoch).toList());
                Map<Long, Budget> budgets = CampaignBudgets.all(c);
                if (campaign == null) {
                    lastBudgeted = Set.copyOf(budgets.keySet());
                }
                PriceBook prices = CampaignPrices.book(c);
                RollupBoundaries bounds = RollupBoundaries.read(c);
                Map<Long, Map<PartKey, Sum>> sums = new HashMap<>();
                Map<Long, Scope> scopes = new HashMap<>();
                for (long id : campaign != null ? List.of(campaign) : budgets.keySet()) {
                    Budget budget = budgets.get(id);
                    Instant start = from.apply(budget);
                    Scope scope = new Scope(budget == null ? ZoneOffset.UTC : budget.zone(), ceilMinute(start));
                    scopes.put(id, scope);
                    readDatabase(c, id, scope, start, to, bounds, sums.computeIfAbsent(id, k -> new HashMap<>()));
                }
                c.commit();
                long databaseNanos = System.nanoTime() - started;
                for (MemorySnapshot s : memory) {
                    Watermark watermark = watermarks.getOrDefault(s.epoch(), Watermark.NONE);
                    for (Map.Entry<CounterKey, Counts> e : s.unpersisted(watermark).asMap().entrySet()) {
                        CounterKey key = e.getKey();
                        Scope scope = scopes.get(key.campaignId());
                        if (scope == null || key.minute() < scope.fromMinute() || key.minute() >= toMinute) {
                            continue;
                        }
                        LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(key.minute() * 60), scope.zone());
                        PartKey k = new PartKey(day, prices.periodStart(key.campaignId(), key.minute()));
                        sums.get(key.campaignId()).computeIfAbsent(k, x -> new Sum(prices.at(key.campaignId(), key.minute())))
                                .add(e.getValue().impressions, e.getValue().clicks, e.getValue().conversions);
                    }
                }
                Map<Long, List<BudgetLedger.Part>> parts = new HashMap<>();
                sums.forEach((id, byKey) -> {
                    List<BudgetLedger.Part> list = new ArrayList<>();
                    byKey.forEach((k, v) -> list.add(new BudgetLedger.Part(k.day(), k.periodFromMinute(), v.price,
                            v.impressions, v.cleanClicks, v.conversions)));
                    parts.put(id, list);
                });
                return new Read(budgets, prices, parts, gridNanos, databaseNanos);
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            }
        } catch (SQLException e) {
            throw new StatsService.DatabaseUnavailableException(e);
        }
    }

    /** Whether the campaign is in the catalog. */
    public boolean exists(long campaign) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1 FROM campaign WHERE id = ?")) {
            ps.setLong(1, campaign);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new StatsService.DatabaseUnavailableException(e);
        }
    }

    private record Scope(ZoneId zone, long fromMinute) {
    }

    private record PartKey(LocalDate day, long periodFromMinute) {
    }

    private static final class Sum {
        final Price price;
        long impressions;
        long cleanClicks;
        long conversions;

        Sum(Price price) {
            this.price = price;
        }

        void add(long i, long c, long v) {
            impressions += i;
            cleanClicks += c;
            conversions += v;
        }
    }

    /**
     * One campaign's sums per local day and price period, from the coarsest tables whose rows lie whole
     * in a local day. Where retention dropped that detail (hours after ADGRID_ROLLUP_HOURRETENTION, minutes
     * after ADGRID_ROLLUP_MINUTERETENTION, for a zone whose days are not whole UTC days or hours), only UTC
     * days are left: that older history is summed per UTC date instead. Where the day retention
     * (ADGRID_ROLLUP_DAYRETENTION) dropped the days too, nothing is left: the sums start at its boundary.
     */
    private static void readDatabase(Connection c, long campaign, Scope scope, Instant from, Instant to, RollupBoundaries bounds,
                                     Map<PartKey, Sum> out) throws SQLException {
        Grouping.ByTime days = new Grouping.ByTime(Granularity.DAY, scope.zone());
        long fromMinute = Math.max(scope.fromMinute(), bounds.daysFrom());
        long toMinute = ceilMinute(to);
        CounterTable coarsest = TablePlan.coarsest(days, from, to);
        long exactFrom = switch (coarsest) {
            case DAY -> fromMinute;
            case HOUR -> Math.max(fromMinute, Math.min(bounds.hoursFrom(), bounds.minutesFrom()));
            case MINUTE -> Math.max(fromMinute, bounds.minutesFrom());
        };
        exactFrom = Math.min(exactFrom, toMinute);
        if (fromMinute < exactFrom) {
            readPieces(c, campaign, TablePlan.of(fromMinute, exactFrom, CounterTable.DAY, bounds), "UTC", out);
        }
        readPieces(c, campaign, TablePlan.of(exactFrom, toMinute, coarsest, bounds), days.sqlZone(), out);
    }

    /**
     * Hours and days are read from the per-campaign summaries (V14), one row a campaign and hour or day:
     * the pacing monitor reads every day of a total budget's campaign several times a second, which over a
     * year of {@code counter_day} took 0.9 s a campaign at the long tail (issue 22's benchmark), 7 ms from
     * {@code campaign_day}.
     */
    private static void readPieces(Connection c, long campaign, TablePlan plan, String sqlZone, Map<PartKey, Sum> out) throws SQLException {
        for (TablePlan.Piece piece : plan.pieces()) {
            String time = "r." + piece.table().column;
            // the same price periods as StatsRepository: a row lies in one (prices start at UTC midnights)
            String sql = "WITH price AS (SELECT campaign_id, model, price_micros, effective_from,"
                    + " lead(effective_from) OVER (PARTITION BY campaign_id ORDER BY effective_from) AS until FROM campaign_price)"
                    + " SELECT (" + time + " AT TIME ZONE ?)::date, p.effective_from, p.model, p.price_micros,"
                    + " sum(r.impressions), sum(r.clicks), sum(r.conversions)"
                    + " FROM " + TablePlan.table(piece.table(), Dimension.CAMPAIGN, null) + " r LEFT JOIN price p ON p.campaign_id = r.campaign_id"
                    + " AND " + time + " >= p.effective_from AND (p.until IS NULL OR " + time + " < p.until)"
                    + " WHERE r.campaign_id = ? AND " + time + " >= ? AND " + time + " < ?"
                    + " GROUP BY 1, 2, 3, 4";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, sqlZone);
                ps.setLong(2, campaign);
                ps.setTimestamp(3, Timestamp.from(Instant.ofEpochSecond(piece.from() * 60)));
                ps.setTimestamp(4, Timestamp.from(Instant.ofEpochSecond(piece.to() * 60)));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        LocalDate day = rs.getObject(1, LocalDate.class);
                        Timestamp periodFrom = rs.getTimestamp(2);
                        String model = rs.getString(3);
                        Price price = model == null ? null : new Price(PricingModel.valueOf(model), rs.getLong(4));
                        long periodMinute = periodFrom == null ? Long.MIN_VALUE : periodFrom.toInstant().getEpochSecond() / 60;
                        out.computeIfAbsent(new PartKey(day, periodMinute), k -> new Sum(price)).add(rs.getLong(5), rs.getLong(6), rs.getLong(7));
                    }
                }
            }
        }
    }

    private static long ceilMinute(Instant t) {
        return -Math.floorDiv(-t.toEpochMilli(), 60_000L);
    }
}
