package io.adgrid.gatling.saturation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void percentilesAreExactBelow100MsAndBoundedAbove() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 1; i <= 98; i++) {
            h.record(5);
        }
        h.record(250);
        h.record(4321);
        assertThat(h.count()).isEqualTo(100);
        assertThat(h.percentile(0.5)).isEqualTo(5);
        assertThat(h.percentile(0.99)).isBetween(250L, 259L);
        assertThat(h.percentile(1.0)).isBetween(4321L, 4399L);
    }

    @Test
    void everyLatencyFallsInABucketWhoseUpperBoundIsNotBelowIt() {
        for (long ms : new long[] {0, 1, 99, 100, 109, 999, 1000, 59_999, 60_000, 3_600_000}) {
            assertThat(LatencyHistogram.upperBound(LatencyHistogram.bucket(ms))).isGreaterThanOrEqualTo(Math.min(ms, 60_001));
        }
        assertThat(new LatencyHistogram().percentile(0.99)).isZero();
    }
}
