package io.adgrid.grid.counters;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdentitySetTest {

    record Pair(long hi, long lo) {
    }

    @Test
    void addsEachIdentityOnceLikeAHashSetThroughManyResizes() {
        IdentitySet set = new IdentitySet();
        Set<Pair> reference = new HashSet<>();
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            // Mostly new identities, sometimes one seen before, sometimes sharing one half.
            long hi = i % 7 == 0 && i > 0 ? reference.iterator().next().hi() : random.nextLong();
            long lo = i % 11 == 0 ? 5 : random.nextLong();
            if (i % 5 == 0 && !reference.isEmpty()) {
                Pair again = reference.iterator().next();
                hi = again.hi();
                lo = again.lo();
            }
            assertThat(set.add(hi, lo)).isEqualTo(reference.add(new Pair(hi, lo)));
        }
        assertThat(set.size()).isEqualTo(reference.size());
        for (Pair p : reference) {
            assertThat(set.add(p.hi(), p.lo())).as("already present after resizes").isFalse();
        }
    }

    @Test
    void zeroIdentityIsAnOrdinaryMember() {
        IdentitySet set = new IdentitySet();
        assertThat(set.add(0, 0)).isTrue();
        assertThat(set.add(0, 0)).isFalse();
        assertThat(set.add(0, 1)).isTrue();
        assertThat(set.add(1, 0)).isTrue();
        assertThat(set.size()).isEqualTo(3);
    }

    @Test
    void memoryIsSixteenBytesASlotAtMostSixtyPercentFull() {
        IdentitySet set = new IdentitySet();
        Random random = new Random(7);
        for (int i = 0; i < 1_000_000; i++) {
            set.add(random.nextLong(), random.nextLong());
        }
        double bytesPerIdentity = (double) set.bytes() / set.size();
        // Capacity doubles past 60 % full: between 16 / 0.6 and 16 / 0.3 bytes an identity.
        assertThat(bytesPerIdentity).isBetween(16 / 0.6 - 1, 16 / 0.3 + 1);
    }

    @Test
    void presizedSetHoldsItsExpectedCountWithoutGrowing() {
        IdentitySet set = new IdentitySet(1000);
        long before = set.bytes();
        for (int i = 1; i <= 1000; i++) {
            set.add(i, -i);
        }
        assertThat(set.bytes()).isEqualTo(before);
    }

    @Test
    void containsAnswersLikeAHashSetThroughResizesWithoutAddingAnything() {
        IdentitySet set = new IdentitySet();
        Set<Pair> reference = new HashSet<>();
        Random random = new Random(7);
        for (int i = 0; i < 50_000; i++) {
            Pair p = new Pair(random.nextLong(), random.nextLong());
            set.add(p.hi(), p.lo());
            reference.add(p);
        }
        int size = set.size();
        for (Pair p : reference) {
            assertThat(set.contains(p.hi(), p.lo())).isTrue();
            assertThat(set.contains(p.hi(), ~p.lo())).isFalse();
        }
        assertThat(set.contains(0, 0)).isFalse();
        set.add(0, 0);
        assertThat(set.contains(0, 0)).isTrue();
        assertThat(set.size()).isEqualTo(size + 1);
    }
}
