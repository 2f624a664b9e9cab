package io.adgrid.reporting.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.adgrid.grid.member.MemberSnapshot;
import io.adgrid.grid.member.MeterSample;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class OpsPointTest {

    private static final double[] NONE = new double[0];
    private static final double[] BOUNDS = {0.001, 0.002, 0.004, 0.008};

    @Test
    void ratesAreTheIncreaseOverTheIntervalSummedOverEveryProcess() {
        ClusterSample before = sample(0, member("a", events("impression", "accepted", "ok", 100), events("sale", "duplicate", "ok", 2),
                events("impression", "rejected", "bad_signature", 0)), member("b", events("impression", "accepted", "ok", 50)));
        ClusterSample after = sample(2_000, member("a", events("impression", "accepted", "ok", 130), events("sale", "duplicate", "ok", 6),
                events("impression", "rejected", "bad_signature", 4)), member("b", events("impression", "accepted", "ok", 60)));

        OpsPoint p = OpsPoint.between(before, after);

        assertThat(p.acceptedPerSecond()).containsEntry("impression", 20.0);
        assertThat(p.acceptedTotalPerSecond()).isEqualTo(20.0);
        assertThat(p.duplicatesPerSecond()).isEqualTo(2.0);
        assertThat(p.rejectedPerSecond()).containsEntry("bad_signature", 2.0);
        assertThat(p.rejectedTotalPerSecond()).isEqualTo(2.0);
    }

    @Test
    void aCountThatWentDownCountsFromZeroAsAfterARestart() {
        OpsPoint p = OpsPoint.between(sample(0, member("a", events("click", "accepted", "ok", 100))),
                sample(1_000, member("a", events("click", "accepted", "ok", 30))));

        assertThat(p.acceptedPerSecond()).containsEntry("click", 30.0);
    }

    @Test
    void aMemberSeenForTheFirstTimeAddsNoRateYet() {
        OpsPoint p = OpsPoint.between(sample(0, member("a", events("click", "accepted", "ok", 10))),
                sample(1_000, member("a", events("click", "accepted", "ok", 11)), member("b", events("click", "accepted", "ok", 1_000))));

        assertThat(p.acceptedPerSecond()).containsEntry("click", 1.0);
    }

    @Test
    void percentilesAreReadFromTheHistogramIncreaseOfTheIntervalLikePromQl() {
        // Two endpoints of one gateway; over the interval 100 answers: 50 at or below 2 ms, 90 at or below 4 ms, all at or below 8 ms.
        ClusterSample before = sample(0, member("a", latency("i", 40, 10, 20, 30, 40), latency("c", 0, 0, 0, 0, 0)));
        ClusterSample after = sample(1_000, member("a", latency("i", 120, 10, 60, 100, 120), latency("c", 20, 0, 10, 20, 20)));

        OpsPoint p = OpsPoint.between(before, after);

        assertThat(p.latencyP50Ms()).isCloseTo(2.0, within(1e-9));
        assertThat(p.latencyP99Ms()).isCloseTo(7.6, within(1e-9));
    }

    @Test
    void answersAboveTheLastBucketReadAsItsBound() {
        OpsPoint p = OpsPoint.between(sample(0, member("a", latency("i", 0, 0, 0, 0, 0))),
                sample(1_000, member("a", latency("i", 10, 0, 0, 0, 5))));

        assertThat(p.latencyP99Ms()).isCloseTo(8.0, within(1e-9));
    }

    @Test
    void whatNobodyReportsIsNullAndNeverNaN() throws Exception {
        OpsPoint first = OpsPoint.between(null, sample(0, member("a", events("click", "accepted", "ok", 10),
                gauge("adgrid.writebehind.lag", Double.NaN))));

        assertThat(first.acceptedTotalPerSecond()).isZero();
        assertThat(first.latencyP50Ms()).isNull();
        assertThat(first.latencyP99Ms()).isNull();
        assertThat(first.lagSeconds()).isNull();
        assertThat(first.backlogKeys()).isNull();
        assertThat(first.gridBatchSizeMean()).isNull();
        assertThat(new ObjectMapper().writeValueAsString(first)).doesNotContain("NaN").doesNotContain("Infinity");
    }

    @Test
    void lagIsTheLargestOfAnyMemberAndTheBacklogTheirSum() {
        OpsPoint p = OpsPoint.between(null, sample(0,
                member("a", gauge("adgrid.writebehind.lag", 1.5), gauge("adgrid.writebehind.backlog.keys", 7)),
                member("b", gauge("adgrid.writebehind.lag", 42.0), gauge("adgrid.writebehind.backlog.keys", 5))));

        assertThat(p.lagSeconds()).isEqualTo(42.0);
        assertThat(p.backlogKeys()).isEqualTo(12);
    }

    @Test
    void flushAndGridBatchRatesComeFromSummaries() {
        ClusterSample before = sample(0, member("a", summary("adgrid.writebehind.write.rows", 10, 500),
                summary("adgrid.grid.batch.size", 100, 1_000), counter("adgrid.writebehind.write.failures", 1)));
        ClusterSample after = sample(4_000, member("a", summary("adgrid.writebehind.write.rows", 14, 900),
                summary("adgrid.grid.batch.size", 110, 1_250), counter("adgrid.writebehind.write.failures", 3)));

        OpsPoint p = OpsPoint.between(before, after);

        assertThat(p.flushRowsPerSecond()).isEqualTo(100.0);
        assertThat(p.flushWritesPerSecond()).isEqualTo(1.0);
        assertThat(p.writeFailuresPerSecond()).isEqualTo(0.5);
        assertThat(p.gridBatchSizeMean()).isEqualTo(25.0);
    }

    @Test
    void aProcessThatSampledSeveralTimesInOneSecondChartsTheSecondsMeanRateAndItsLatestGauges() {
        OpsPoint quiet = point(10_100, 0, 5.0, 3L);
        OpsPoint busy = point(10_350, 1_600, 6.0, 4L);
        OpsPoint quietAgain = point(10_600, 0, 2.0, 1L);
        OpsPoint next = point(11_050, 8, 1.0, 0L);

        Map<Long, OpsPoint> seconds = OpsPoint.bySecond(List.of(quiet, busy, quietAgain, next));

        assertThat(seconds).containsOnlyKeys(10L, 11L);
        OpsPoint ten = seconds.get(10L);
        assertThat(ten.t()).isEqualTo(10_600);
        assertThat(ten.acceptedPerSecond().get("click")).as("the busy quarter is not lost to the quiet one after it")
                .isCloseTo(1_600 / 3.0, within(1e-9));
        assertThat(ten.acceptedTotalPerSecond()).isCloseTo(1_600 / 3.0, within(1e-9));
        assertThat(ten.lagSeconds()).as("a gauge is as last read").isEqualTo(2.0);
        assertThat(ten.backlogKeys()).isEqualTo(1L);
        assertThat(seconds.get(11L)).isSameAs(next);
    }

    private static OpsPoint point(long t, double clicksPerSecond, Double lag, Long backlog) {
        return new OpsPoint(t, Map.of("click", clicksPerSecond), clicksPerSecond, 0, Map.of(), 0, null, null, lag, backlog,
                0, 0, 0, null, null);
    }

    private static ClusterSample sample(long time, MemberSnapshot... members) {
        return new ClusterSample(time, List.of(members), Map.of());
    }

    private static MemberSnapshot member(String uuid, MeterSample... meters) {
        return new MemberSnapshot(uuid, "[127.0.0.1]:" + uuid, false, 1, 0, 0, 0, 0, 0, new ArrayList<>(List.of(meters)));
    }

    private static MeterSample events(String type, String outcome, String reason, double count) {
        return new MeterSample(OpsPoint.EVENTS, Map.of("type", type, "outcome", outcome, "reason", reason), MeterSample.Kind.COUNTER,
                count, 0, 0, NONE, NONE, NONE, NONE);
    }

    private static MeterSample counter(String name, double count) {
        return new MeterSample(name, Map.of(), MeterSample.Kind.COUNTER, count, 0, 0, NONE, NONE, NONE, NONE);
    }

    private static MeterSample gauge(String name, double value) {
        return new MeterSample(name, Map.of(), MeterSample.Kind.GAUGE, 0, 0, value, NONE, NONE, NONE, NONE);
    }

    private static MeterSample summary(String name, double count, double total) {
        return new MeterSample(name, Map.of(), MeterSample.Kind.SUMMARY, count, total, 0, NONE, NONE, NONE, NONE);
    }

    private static MeterSample latency(String endpoint, double count, double... cumulative) {
        return new MeterSample(OpsPoint.LATENCY, Map.of("endpoint", endpoint), MeterSample.Kind.TIMER, count, 0, 0,
                BOUNDS, cumulative, NONE, NONE);
    }
}
