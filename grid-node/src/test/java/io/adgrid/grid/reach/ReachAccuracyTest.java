package io.adgrid.grid.reach;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reach's error as the product computes it (issue 21: at most 2 % at 1M uniques): users spread over
 * many small sketches, one per write-behind batch, each user in several of them, merged by union.
 */
class ReachAccuracyTest {

    private static final int BATCHES = 64;

    @ParameterizedTest
    @ValueSource(ints = {10_000, 100_000, 1_000_000})
    void theUnionOfManyBatchesSketchesCountsEachUserOnceWithinTwoPercent(int users) {
        List<HllSketch> batches = new ArrayList<>();
        for (int i = 0; i < BATCHES; i++) {
            batches.add(Reach.newSketch());
        }
        for (int u = 0; u < users; u++) {
            long user = Reach.userHash("user-" + u);
            batches.get(u % BATCHES).update(user);
            batches.get((u * 7 + 3) % BATCHES).update(user); // seen again in another batch: still one user
        }
        List<byte[]> written = batches.stream().map(HllSketch::toCompactByteArray).toList();

        long estimate = Reach.estimate(written);
        double error = Math.abs(estimate - users) / (double) users;
        System.out.printf("reach of %,d users: estimate %,d, error %.3f %%, union %,d bytes%n", users, estimate, 100 * error,
                Reach.union(written).length);
        assertThat(error).isLessThanOrEqualTo(0.02);
        // What PostgreSQL stores is the union; merged again with itself (a batch written twice), it counts the same users.
        byte[] stored = Reach.union(written);
        long fromStored = Reach.estimate(List.of(stored));
        assertThat(Reach.estimate(List.of(stored, stored))).as("a union written twice").isEqualTo(fromStored);
        assertThat(Math.abs(fromStored - users) / (double) users).as("read back from its union").isLessThanOrEqualTo(0.02);
    }

    @Test
    void aSketchStaysSmallUntilItHoldsManyUsersAndNeverPassesItsDenseSize() {
        HllSketch few = Reach.newSketch();
        for (int u = 0; u < 10; u++) {
            few.update(Reach.userHash("u" + u));
        }
        HllSketch many = Reach.newSketch();
        for (int u = 0; u < 1_000_000; u++) {
            many.update(Reach.userHash("u" + u));
        }
        assertThat(few.toCompactByteArray().length).isLessThan(100);
        assertThat(many.toCompactByteArray().length).isLessThanOrEqualTo(HllSketch.getMaxUpdatableSerializationBytes(Reach.LG_K,
                org.apache.datasketches.hll.TgtHllType.HLL_4));
        System.out.printf("sketch bytes: 10 users %d, 1M users %d (compact), dense bound %d%n", few.toCompactByteArray().length,
                many.toCompactByteArray().length, HllSketch.getMaxUpdatableSerializationBytes(Reach.LG_K, org.apache.datasketches.hll.TgtHllType.HLL_4));
    }
}
