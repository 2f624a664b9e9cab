package io.adgrid.gatling.exactness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import io.adgrid.gatling.beacon.Catalog;
import io.adgrid.gatling.beacon.Event;
import io.adgrid.gatling.beacon.Renderer;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ExactnessTest {

    private final Renderer renderer = new Renderer(Catalog.demo());
    private final Ledger ledger = new Ledger();
    private final Target campaign3 = Target.campaign(3);
    private final Exactness exactness = new Exactness("test-" + System.nanoTime(), null, "http://r", ledger, List.of(campaign3));

    private static String stats(long i, long c, long s, String revenue) {
        return "{\"rows\":[{\"bucket\":\"2026-11-22T00:00:00Z\",\"impressions\":" + i + ",\"clicks\":" + c + ",\"conversions\":" + s
                + ",\"revenue\":\"" + revenue + "\",\"ctr\":0.1,\"cvr\":0.0}]}";
    }

    @Test
    void theWindowStartsAtTheMinuteAndTheUrlAsksForTotals() {
        exactness.openWindow(Instant.parse("2026-11-22T10:15:42.123Z"));
        assertThat(exactness.statsUrl(campaign3, Exactness.Source.DB_AFTER_FLUSH)).isEqualTo(
                "http://r/api/v1/stats?campaign=3&from=2026-11-22T10:15:00Z&to=2026-11-23T10:15:00Z&granularity=total&source=db");
        assertThat(exactness.statsUrl(campaign3, Exactness.Source.LIVE)).doesNotContain("source=");
    }

    @Test
    void reportedTotalsMinusTheBaselineMustEqualWhatWasBooked() {
        exactness.openWindow(Instant.now());
        exactness.baseline(campaign3, stats(100, 10, 1, "5.5"));
        Event imp = renderer.impression(renderer.view(13));
        ledger.accept(imp);
        ledger.accept(imp); // a replay books nothing
        Event sale = renderer.sale(3, 1, "o-1", new BigDecimal("12.25"), System.currentTimeMillis());
        ledger.accept(sale);
        for (Exactness.Source source : Exactness.Source.values()) {
            exactness.compare(campaign3, source, stats(101, 10, 2, "17.75"));
        }
        Verdict v = exactness.finish();
        assertThat(v.passed()).as(v.table()).isTrue();
        assertThat(v.comparisons()).isEqualTo(3);
        assertThat(Verdicts.last(v.simulation())).contains(Verdicts.last(v.simulation()).orElseThrow());
    }

    @Test
    void aMissingOrExtraCountFailsTheCheckAndTheVerdict() {
        exactness.openWindow(Instant.now());
        exactness.baseline(campaign3, stats(0, 0, 0, "0"));
        ledger.accept(renderer.impression(renderer.view(3)));
        assertThatThrownBy(() -> exactness.compare(campaign3, Exactness.Source.LIVE, stats(2, 0, 0, "0")))
                .hasMessageContaining("campaign 3 (live)");
        exactness.compare(campaign3, Exactness.Source.LIVE_AFTER_FLUSH, stats(1, 0, 0, "0"));
        exactness.compare(campaign3, Exactness.Source.DB_AFTER_FLUSH, stats(1, 0, 0, "0"));
        Verdict v = exactness.finish();
        assertThat(v.passed()).isFalse();
        assertThat(v.problems()).singleElement().asString().contains("reported 2 impressions");
    }

    @Test
    void aVerdictWithoutAllComparisonsOrWithUndeterminedEventsFails() {
        exactness.openWindow(Instant.now());
        exactness.baseline(campaign3, stats(0, 0, 0, "0"));
        Event imp = renderer.impression(renderer.view(3));
        ledger.accept(imp);
        ledger.undetermined(renderer.impression(renderer.view(3)), "re-sent after the run, answered 422");
        exactness.compare(campaign3, Exactness.Source.LIVE, stats(1, 0, 0, "0"));
        Verdict v = exactness.finish();
        assertThat(v.passed()).isFalse();
        assertThat(v.problems()).anyMatch(p -> p.contains("compared 1 stats answers, expected 3"))
                .anyMatch(p -> p.startsWith("undetermined"));
    }

    @Test
    void aCompareWithoutBaselineFails() {
        exactness.openWindow(Instant.now());
        assertThatThrownBy(() -> exactness.compare(campaign3, Exactness.Source.LIVE, stats(0, 0, 0, "0"))).hasMessageContaining("no baseline");
    }

    @Test
    void totalsReadRevenueExactlyInMicros() throws Exception {
        Totals t = Totals.ofStatsRow(new ObjectMapper().readTree(stats(1, 2, 3, "1234567.000001")));
        assertThat(t).isEqualTo(new Totals(1, 2, 3, 1_234_567_000_001L));
        assertThat(t.revenue()).isEqualTo("1234567.000001");
    }

    @Test
    void bookedClicksAreTheCleanAndTheSuspectOnesTogether() throws Exception {
        String row = "{\"rows\":[{\"bucket\":\"2026-11-22T00:00:00Z\",\"impressions\":5,\"clicks\":2,\"conversions\":0,"
                + "\"revenue\":\"0.00\",\"ctr\":0.4,\"cvr\":0.0,\"suspect_clicks\":3}]}";

        assertThat(Totals.ofStatsRow(new ObjectMapper().readTree(row))).isEqualTo(new Totals(5, 5, 0, 0));
    }
}
