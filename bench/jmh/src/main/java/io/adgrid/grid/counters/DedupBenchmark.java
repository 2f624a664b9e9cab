package io.adgrid.grid.counters;

import java.util.HashSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Replay dedup: remembering one minute of a banner's beacon identities (about 3,000 at 50,000
 * beacons/s over the demo's 1,000 banners) in a fresh {@link IdentitySet}, growth included, as a
 * grid entry does; baseline, the {@code HashSet} of identity records it replaced. Scores are per
 * identity. Bytes per identity: {@link #bytesPerIdentity}, printed by {@code BenchMain}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DedupBenchmark {

    static final int IDENTITIES = 3000;

    /** The identity as the grid kept it before IdentitySet. */
    record Identity(long hi, long lo) {
    }

    private final long[] his = new long[IDENTITIES];
    private final long[] los = new long[IDENTITIES];

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < IDENTITIES; i++) {
            his[i] = random.nextLong();
            los[i] = random.nextLong();
        }
        IdentitySet set = new IdentitySet();
        HashSet<Identity> records = new HashSet<>();
        for (int i = 0; i < IDENTITIES; i++) {
            set.add(his[i], los[i]);
            records.add(new Identity(his[i], los[i]));
        }
        if (set.size() != IDENTITIES || records.size() != IDENTITIES || set.add(his[7], los[7]) || records.add(new Identity(his[7], los[7]))) {
            throw new IllegalStateException("the sets do not remember what was added");
        }
    }

    @Benchmark
    @OperationsPerInvocation(IDENTITIES)
    public HashSet<Identity> baseline() {
        HashSet<Identity> set = new HashSet<>();
        for (int i = 0; i < IDENTITIES; i++) {
            set.add(new Identity(his[i], los[i]));
        }
        return set;
    }

    @Benchmark
    @OperationsPerInvocation(IDENTITIES)
    public IdentitySet identitySet() {
        IdentitySet set = new IdentitySet();
        for (int i = 0; i < IDENTITIES; i++) {
            set.add(his[i], los[i]);
        }
        return set;
    }

    /** Heap bytes per identity by the set's own accounting ({@link IdentitySet#bytes}) after {@code n} random identities. */
    public static double bytesPerIdentity(int n) {
        SplittableRandom random = new SplittableRandom(n);
        IdentitySet set = new IdentitySet();
        for (int i = 0; i < n; i++) {
            set.add(random.nextLong(), random.nextLong());
        }
        return (double) set.bytes() / set.size();
    }
}
