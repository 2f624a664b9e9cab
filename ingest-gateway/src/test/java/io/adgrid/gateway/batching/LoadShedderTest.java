package io.adgrid.gateway.batching;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoadShedderTest {

    private static final long MS = 1_000_000L;

    @Test
    void takesEverythingWhileBatchesAreAnsweredInTime() {
        LoadShedder shedder = new LoadShedder(500 * MS, 1000 * MS, 0);
        shedder.batchAnswered(0, 499 * MS);
        assertThat(shedder.shedding(499 * MS)).isFalse();
        shedder.batchAnswered(100 * MS, 600 * MS);
        assertThat(shedder.shedding(600 * MS)).isFalse();
    }

    @Test
    void shedsForTheHoldTimeAfterASlowBatchThenTakesAgain() {
        LoadShedder shedder = new LoadShedder(500 * MS, 1000 * MS, 0);
        shedder.batchAnswered(0, 501 * MS);
        assertThat(shedder.shedding(501 * MS)).isTrue();
        assertThat(shedder.shedding(1500 * MS)).isTrue();
        assertThat(shedder.shedding(1501 * MS)).isFalse();
    }

    @Test
    void aLaterSlowBatchExtendsTheHold() {
        LoadShedder shedder = new LoadShedder(500 * MS, 1000 * MS, 0);
        shedder.batchAnswered(0, 600 * MS);
        shedder.batchAnswered(500 * MS, 1200 * MS);
        assertThat(shedder.shedding(2100 * MS)).isTrue();
        assertThat(shedder.shedding(2201 * MS)).isFalse();
    }

    @Test
    void worksAcrossTheWrapOfNanoTime() {
        long start = Long.MAX_VALUE - 100 * MS;
        LoadShedder shedder = new LoadShedder(500 * MS, 1000 * MS, start);
        assertThat(shedder.shedding(start)).isFalse();
        shedder.batchAnswered(start, start + 600 * MS);
        assertThat(shedder.shedding(start + 700 * MS)).isTrue();
        assertThat(shedder.shedding(start + 1700 * MS)).isFalse();
    }
}
