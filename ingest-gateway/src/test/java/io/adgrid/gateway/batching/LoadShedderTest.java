package io.adgrid.gateway.batching;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoadShedderTest {

    private static final long MS = 1_000_000L;
    private static final long QUEUE = 64;

    private static LoadShedder shedder(long startNanos) {
        return new LoadShedder(500 * MS, 1000 * MS, QUEUE, startNanos);
    }

    @Test
    void slowBatchesWithNothingQueuedBehindThemNeverShed() {
        // A cold grid call (first EntryProcessor, class loading) at one request at a time.
        LoadShedder shedder = shedder(0);
        for (int i = 0; i < 5; i++) {
            long sent = i * 2000 * MS;
            shedder.batchAnswered(sent, sent + 900 * MS, QUEUE - 1);
            assertThat(shedder.shedding(sent + 901 * MS)).as("batch %d", i).isFalse();
        }
    }

    @Test
    void takesEverythingWhileBatchesAreAnsweredInTime() {
        LoadShedder shedder = shedder(0);
        shedder.batchAnswered(0, 499 * MS, 10_000);
        shedder.batchAnswered(0, 500 * MS, 10_000);
        assertThat(shedder.shedding(500 * MS)).isFalse();
        shedder.batchAnswered(100 * MS, 600 * MS, 10_000);
        assertThat(shedder.shedding(600 * MS)).isFalse();
    }

    @Test
    void oneSlowBatchIsNoEvidenceTwoInARowShedForTheHoldTimeThenTakeAgain() {
        LoadShedder shedder = shedder(0);
        shedder.batchAnswered(0, 501 * MS, QUEUE);
        assertThat(shedder.shedding(501 * MS)).isFalse();
        shedder.batchAnswered(400 * MS, 500 * MS, QUEUE); // in time: the run of slow batches ends
        shedder.batchAnswered(0, 501 * MS, QUEUE);
        assertThat(shedder.shedding(501 * MS)).isFalse();

        shedder.batchAnswered(0, 501 * MS, QUEUE);
        assertThat(shedder.shedding(501 * MS)).isTrue();
        assertThat(shedder.shedding(1500 * MS)).isTrue();
        assertThat(shedder.shedding(1501 * MS)).isFalse();
    }

    @Test
    void aLaterSlowBatchExtendsTheHold() {
        LoadShedder shedder = shedder(0);
        shedder.batchAnswered(0, 550 * MS, QUEUE);
        shedder.batchAnswered(0, 600 * MS, QUEUE);
        shedder.batchAnswered(500 * MS, 1200 * MS, QUEUE);
        assertThat(shedder.shedding(2100 * MS)).isTrue();
        assertThat(shedder.shedding(2201 * MS)).isFalse();
    }

    @Test
    void worksAcrossTheWrapOfNanoTime() {
        long start = Long.MAX_VALUE - 100 * MS;
        LoadShedder shedder = shedder(start);
        assertThat(shedder.shedding(start)).isFalse();
        shedder.batchAnswered(start, start + 600 * MS, QUEUE);
        shedder.batchAnswered(start, start + 600 * MS, QUEUE);
        assertThat(shedder.shedding(start + 700 * MS)).isTrue();
        assertThat(shedder.shedding(start + 1700 * MS)).isFalse();
    }
}
