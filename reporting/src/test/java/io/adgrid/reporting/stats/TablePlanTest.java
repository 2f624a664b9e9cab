package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import io.adgrid.persister.rollup.CounterTable;
import io.adgrid.persister.rollup.RollupBoundaries;
import io.adgrid.reporting.stats.TablePlan.Piece;
import org.junit.jupiter.api.Test;

class TablePlanTest {

    private static final Instant DAY1 = Instant.parse("2026-01-10T00:00:00Z");
    private static final long D = DAY1.getEpochSecond() / 60;
    private static final long H = 60;
    private static final long DAY = 24 * 60;
    /** Hours rolled up to 05:00 of the third day, days up to the third day, nothing dropped. */
    private static final RollupBoundaries ROLLED = new RollupBoundaries(0, 0, D + 2 * DAY + 5 * H, D + 2 * DAY, 0);

    @Test
    void aRangeIsReadFromTheCoarsestTableThatHoldsEachPart() {
        TablePlan plan = TablePlan.of(D + 30, D + 3 * DAY + 10, CounterTable.DAY, ROLLED);
        assertThat(plan.pieces()).containsExactly(
                new Piece(CounterTable.MINUTE, D + 30, D + H),
                new Piece(CounterTable.HOUR, D + H, D + DAY),
                new Piece(CounterTable.DAY, D + DAY, D + 2 * DAY),
                new Piece(CounterTable.HOUR, D + 2 * DAY, D + 2 * DAY + 5 * H),
                new Piece(CounterTable.MINUTE, D + 2 * DAY + 5 * H, D + 3 * DAY + 10));
    }

    @Test
    void aPieceIsReadFromTheSmallestSummaryKeepingWhatTheReportFiltersAndGroupsBy() {
        Grouping byTime = new Grouping.ByTime(Granularity.HOUR, ZoneOffset.UTC);
        assertThat(TablePlan.table(CounterTable.HOUR, Dimension.CAMPAIGN, byTime)).isEqualTo("campaign_hour");
        assertThat(TablePlan.table(CounterTable.HOUR, null, byTime)).isEqualTo("campaign_hour");
        assertThat(TablePlan.table(CounterTable.HOUR, null, new Grouping.ById(Dimension.CAMPAIGN))).isEqualTo("campaign_hour");
        assertThat(TablePlan.table(CounterTable.HOUR, Dimension.BANNER, byTime)).isEqualTo("counter_hour");
        assertThat(TablePlan.table(CounterTable.HOUR, null, new Grouping.ById(Dimension.BANNER))).isEqualTo("counter_hour");
        assertThat(TablePlan.table(CounterTable.DAY, Dimension.CAMPAIGN, byTime)).isEqualTo("campaign_day");
        assertThat(TablePlan.table(CounterTable.DAY, null, new Grouping.ById(Dimension.BANNER))).isEqualTo("banner_day");
        assertThat(TablePlan.table(CounterTable.DAY, Dimension.CAMPAIGN, new Grouping.ById(Dimension.BANNER))).isEqualTo("banner_day");
        assertThat(TablePlan.table(CounterTable.DAY, Dimension.BANNER, byTime)).isEqualTo("banner_day");
        assertThat(TablePlan.table(CounterTable.DAY, Dimension.PUBLISHER, byTime)).isEqualTo("counter_day");
        assertThat(TablePlan.table(CounterTable.DAY, null, new Grouping.ById(Dimension.PUBLISHER))).isEqualTo("counter_day");
        assertThat(TablePlan.table(CounterTable.MINUTE, Dimension.CAMPAIGN, byTime)).isEqualTo("counter_minute");
    }

    @Test
    void nothingRolledMeansMinutesOnly() {
        RollupBoundaries none = new RollupBoundaries(0, 0, D, D, 0);
        assertThat(TablePlan.of(D, D + 2 * DAY, CounterTable.DAY, none).pieces())
                .containsExactly(new Piece(CounterTable.MINUTE, D, D + 2 * DAY));
    }

    @Test
    void hourBucketsNeverReadDays() {
        assertThat(TablePlan.of(D, D + 3 * DAY, CounterTable.HOUR, ROLLED).pieces()).containsExactly(
                new Piece(CounterTable.HOUR, D, D + 2 * DAY + 5 * H),
                new Piece(CounterTable.MINUTE, D + 2 * DAY + 5 * H, D + 3 * DAY));
    }

    @Test
    void droppedMinutesCanOnlyBeAnsweredInWholeHoursOrDays() {
        RollupBoundaries dropped = new RollupBoundaries(D + DAY, 0, D + 2 * DAY, D + 2 * DAY, 0);
        assertThat(TablePlan.of(D, D + 2 * DAY + 10, CounterTable.HOUR, dropped).pieces()).containsExactly(
                new Piece(CounterTable.HOUR, D, D + 2 * DAY),
                new Piece(CounterTable.MINUTE, D + 2 * DAY, D + 2 * DAY + 10));
        assertThatThrownBy(() -> TablePlan.of(D + 10, D + 2 * DAY, CounterTable.HOUR, dropped))
                .isInstanceOf(BadQueryException.class).hasMessageContaining("minute detail before 2026-01-11T00:00:00Z");
        assertThatThrownBy(() -> TablePlan.of(D, D + 2 * DAY, CounterTable.MINUTE, dropped))
                .isInstanceOf(BadQueryException.class);
    }

    /** Days before days_from were dropped with the day retention: a range reaching there is refused, whatever its grain. */
    @Test
    void aRangeReachingBeforeTheDayRetentionIsRefusedAndOneAfterItIsRead() {
        long year = Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() / 60;
        RollupBoundaries daysDropped = new RollupBoundaries(D + DAY, D, D + 2 * DAY, D + 2 * DAY, year);
        for (CounterTable grain : CounterTable.values()) {
            assertThatThrownBy(() -> TablePlan.of(year - DAY, D + 2 * DAY, grain, daysDropped))
                    .isInstanceOf(BadQueryException.class)
                    .hasMessageContaining("counts before 2026-01-01T00:00:00Z were dropped (day retention)");
            assertThatThrownBy(() -> TablePlan.of(year - 1, year + 1, grain, daysDropped)).isInstanceOf(BadQueryException.class);
        }
        assertThat(TablePlan.of(year, D + 2 * DAY, CounterTable.DAY, daysDropped).pieces()).containsExactly(
                new Piece(CounterTable.DAY, year, D + 2 * DAY));
        assertThat(TablePlan.of(year - DAY, year - DAY, CounterTable.DAY, daysDropped).pieces()).as("an empty range reads nothing").isEmpty();
    }

    @Test
    void bucketsInAZoneUseATableWhoseRowsFallWholeIntoThem() {
        Instant from = DAY1;
        Instant to = DAY1.plusSeconds(90L * 24 * 3600);
        assertThat(TablePlan.coarsest(new Grouping.ByTime(Granularity.TOTAL, ZoneId.of("Asia/Kolkata")), from, to)).isEqualTo(CounterTable.DAY);
        assertThat(TablePlan.coarsest(new Grouping.ById(Dimension.BANNER), from, to)).isEqualTo(CounterTable.DAY);
        assertThat(TablePlan.coarsest(new Grouping.ByTime(Granularity.DAY, ZoneOffset.UTC), from, to)).isEqualTo(CounterTable.DAY);
        // Paris is one or two hours off UTC (a DST change lies in the range): days are read from hours.
        assertThat(TablePlan.coarsest(new Grouping.ByTime(Granularity.DAY, ZoneId.of("Europe/Paris")), from, to)).isEqualTo(CounterTable.HOUR);
        assertThat(TablePlan.coarsest(new Grouping.ByTime(Granularity.HOUR, ZoneId.of("Europe/Paris")), from, to)).isEqualTo(CounterTable.HOUR);
        // Kolkata is 5:30 off UTC: an hour of UTC straddles two of its hours.
        assertThat(TablePlan.coarsest(new Grouping.ByTime(Granularity.HOUR, ZoneId.of("Asia/Kolkata")), from, to)).isEqualTo(CounterTable.MINUTE);
        assertThat(TablePlan.coarsest(new Grouping.ByTime(Granularity.MINUTE, ZoneOffset.UTC), from, to)).isEqualTo(CounterTable.MINUTE);
    }
}
