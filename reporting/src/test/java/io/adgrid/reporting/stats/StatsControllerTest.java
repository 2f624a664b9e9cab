package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.grid.port.Counts;
import org.junit.jupiter.api.Test;

/**
 * Parameter validation of the stats API. The controller here has no backends: every request in
 * this class must be rejected before one would be asked (a request that got through would fail
 * with a NullPointerException, not the expected BadQueryException).
 */
class StatsControllerTest {

    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");

    private final StatsController controller =
            new StatsController(null, Clock.fixed(Instant.parse("2026-11-21T10:30:15Z"), ZoneOffset.UTC));

    @Test
    void unknownGranularityIsRejected() {
        for (String g : new String[] {"week", "HOUR", "", "minutes"}) {
            assertRejected(stats().with("granularity", g), "granularity");
        }
    }

    @Test
    void unknownTimeZoneIsRejected() {
        for (String tz : new String[] {"Mars/Olympus", "", "+25:00", "Europe/"}) {
            assertRejected(stats().with("tz", tz), "tz");
        }
    }

    @Test
    void unknownSourceIsRejected() {
        assertRejected(stats().with("source", "cache"), "source");
        assertRejected(stats().with("source", "DB"), "source");
        assertRejectedTop(top().with("source", "memory"), "source");
    }

    @Test
    void unknownFormatIsRejected() {
        assertRejected(stats().with("format", "xml"), "format");
        assertRejectedTop(top().with("format", "CSV"), "format");
    }

    @Test
    void atMostOneOfCampaignBannerAndPublisher() {
        assertRejected(stats().with("campaign", "1").with("banner", "2"), "at most one");
        assertRejected(stats().with("banner", "2").with("publisher", "3"), "at most one");
        assertRejected(stats().with("campaign", "1").with("publisher", "3"), "at most one");
    }

    @Test
    void fromMustBeBeforeTo() {
        assertRejected(stats().with("from", "2026-11-21T10:00:00Z").with("to", "2026-11-21T10:00:00Z"), "before");
        assertRejected(stats().with("from", "2026-11-22").with("to", "2026-11-21"), "before");
        // the same instant written two ways
        assertRejected(stats().with("from", "2026-11-21T12:00:00+02:00").with("to", "2026-11-21T10:00:00Z"), "before");
        assertRejectedTop(top().with("from", "2026-11-21T10:00:00Z").with("to", "2026-11-21T09:00:00Z"), "before");
    }

    @Test
    void idsMustBePositiveIntegers() {
        for (String id : new String[] {"abc", "1.5", "-3", "0", "", "0x10", "99999999999999999999"}) {
            assertRejected(stats().with("campaign", id), "campaign");
            assertRejected(stats().with("banner", id), "banner");
            assertRejected(stats().with("publisher", id), "publisher");
        }
    }

    @Test
    void unparsableInstantsAreRejected() {
        for (String t : new String[] {"yesterday", "1700000000000", "2026-13-01", "2026-11-21 10:00", "2026-11-21T25:00"}) {
            assertRejected(stats().with("from", t).with("to", "2027-01-01"), "from");
            assertRejected(stats().with("from", "2026-01-01").with("to", t), "to");
        }
    }

    @Test
    void tooManyBucketsAreRejected() {
        // 35 days of minutes is 50,400 buckets, over the limit of 50,000
        assertRejected(stats().with("granularity", "minute").with("from", "2026-10-01").with("to", "2026-11-05"), "too many buckets");
        // without from and to the range is the last 24 hours: fine for minutes, so use hours over 6 years
        assertRejected(stats().with("granularity", "hour").with("from", "2020-01-01").with("to", "2026-01-01"), "too many buckets");
    }

    @Test
    void topRejectsBadDimensionMetricAndLimit() {
        assertRejectedTop(top().with("dimension", "country"), "dimension");
        assertRejectedTop(top().with("dimension", "Banner"), "dimension");
        assertRejectedTop(top().with("metric", "ctr"), "metric");
        for (String limit : new String[] {"0", "-1", "1001", "ten", ""}) {
            assertRejectedTop(top().with("limit", limit), "limit");
        }
    }

    @Test
    void instantsWithZOrAnOffsetAreTakenAsGiven() {
        assertThat(StatsController.instant("from", "2026-11-21T10:00:00Z", KOLKATA)).isEqualTo(Instant.parse("2026-11-21T10:00:00Z"));
        assertThat(StatsController.instant("from", "2026-11-21T10:00:00+02:00", KOLKATA)).isEqualTo(Instant.parse("2026-11-21T08:00:00Z"));
        assertThat(StatsController.instant("from", "2026-11-21T10:00:00.250-05:00", UTC)).isEqualTo(Instant.parse("2026-11-21T15:00:00.250Z"));
    }

    @Test
    void localDateTimesAndDatesAreTakenInTheAskedZone() {
        assertThat(StatsController.instant("from", "2026-11-21T10:00", UTC)).isEqualTo(Instant.parse("2026-11-21T10:00:00Z"));
        assertThat(StatsController.instant("from", "2026-11-21T10:00", KOLKATA)).isEqualTo(Instant.parse("2026-11-21T04:30:00Z"));
        assertThat(StatsController.instant("from", "2026-11-21T10:00:30", KOLKATA)).isEqualTo(Instant.parse("2026-11-21T04:30:30Z"));
        assertThat(StatsController.instant("from", "2026-11-21", UTC)).isEqualTo(Instant.parse("2026-11-21T00:00:00Z"));
        assertThat(StatsController.instant("from", "2026-11-21", KOLKATA)).isEqualTo(Instant.parse("2026-11-20T18:30:00Z"));
    }

    @Test
    void anUnparsableInstantNamesTheParameter() {
        assertThatThrownBy(() -> StatsController.instant("to", "next week", UTC))
                .isInstanceOf(BadQueryException.class)
                .hasMessageStartingWith("to must be ISO-8601");
    }

    @Test
    void revenueIsAnExactDecimalWithAtLeastTwoPlaces() {
        assertThat(StatsRow.revenue(0)).isEqualTo("0.00");
        assertThat(StatsRow.revenue(12_500_000)).isEqualTo("12.50");
        assertThat(StatsRow.revenue(1)).isEqualTo("0.000001");
        assertThat(StatsRow.revenue(300_000)).isEqualTo("0.30");
        assertThat(StatsRow.revenue(1_000_000_000)).isEqualTo("1000.00");
        assertThat(StatsRow.revenue(123_456_789)).isEqualTo("123.456789");
        assertThat(StatsRow.revenue(Long.MAX_VALUE)).isEqualTo("9223372036854.775807");
    }

    @Test
    void ratiosArePlainDecimalsInJsonAndCsvNeverExponents() throws Exception {
        StatsRow row = StatsRow.of("b", null, new Tally().add(new Counts(1508, 1, 0, 0), null));

        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(row)).contains("\"ctr\":0.000663,");
        assertThat(String.valueOf(row.ctr())).as("as the CSV writes it").isEqualTo("0.000663");
        assertThat(String.valueOf(StatsRow.of("b", null, new Tally().add(new Counts(1_000_000, 1, 0, 0), null)).ctr())).isEqualTo("0.000001");
        assertThat(String.valueOf(StatsRow.of("b", null, new Tally().add(new Counts(10, 10, 0, 0), null)).ctr())).isEqualTo("1");
    }

    @Test
    void ratiosAreZeroWithoutADenominator() {
        StatsRow none = StatsRow.of("b", null, new Tally().add(new Counts(), null));
        StatsRow some = StatsRow.of("b", null, new Tally().add(new Counts(3, 1, 1, 0), null));

        assertThat(none.ctr()).isZero();
        assertThat(none.cvr()).isZero();
        assertThat(some.ctr()).isEqualTo("0.333333");
        assertThat(some.cvr()).isEqualTo("1");
    }

    private void assertRejected(Params p, String reasonMentions) {
        assertThatThrownBy(() -> controller.stats(p.get("campaign"), p.get("banner"), p.get("publisher"), p.get("from"), p.get("to"),
                p.get("granularity"), p.get("tz"), p.get("source"), p.get("format"), p.get("accept")))
                .as("%s", p)
                .isInstanceOf(BadQueryException.class)
                .hasMessageContaining(reasonMentions);
    }

    private void assertRejectedTop(Params p, String reasonMentions) {
        assertThatThrownBy(() -> controller.top(p.get("dimension"), p.get("metric"), p.get("from"), p.get("to"), p.get("limit"),
                p.get("tz"), p.get("source"), p.get("format"), p.get("accept")))
                .as("%s", p)
                .isInstanceOf(BadQueryException.class)
                .hasMessageContaining(reasonMentions);
    }

    /** The request parameters, starting from the defaults Spring would fill in. */
    private static Params stats() {
        return new Params().with("granularity", "total").with("tz", "UTC").with("source", "live");
    }

    private static Params top() {
        return new Params().with("dimension", "banner").with("metric", "impressions").with("limit", "10")
                .with("tz", "UTC").with("source", "live");
    }

    private static final class Params {
        private final Map<String, String> values = new HashMap<>();

        Params with(String name, String value) {
            values.put(name, value);
            return this;
        }

        String get(String name) {
            return values.get(name);
        }

        @Override
        public String toString() {
            return values.toString();
        }
    }

    /** Issue 20: a date LocalDate accepts but no query can use answered 500; now 400 like any bad value. */
    @Test
    void datesOutsideTheRangeOfBeaconsAreBadQueries() {
        for (String far : List.of("-999999999-01-01", "+999999999-12-31", "1969-12-31T23:59:59Z", "+10000-01-02T00:00")) {
            assertThatThrownBy(() -> StatsController.instant("from", far, UTC)).as(far).isInstanceOf(BadQueryException.class)
                    .hasMessageContaining("between 1970-01-01 and 9999-12-31");
        }
        assertThat(StatsController.instant("to", "9999-12-31", UTC)).isEqualTo(Instant.parse("9999-12-31T00:00:00Z"));
    }
}
