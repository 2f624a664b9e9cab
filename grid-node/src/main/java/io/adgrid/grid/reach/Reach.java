package io.adgrid.grid.reach;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import org.apache.datasketches.hash.MurmurHash3;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;

/**
 * Unique reach (issue 21): the distinct users ({@code u}) who saw a banner's impressions, kept as
 * HyperLogLog sketches of Apache DataSketches. Every sketch has {@link #LG_K} 14 (16,384 buckets, 4 bits
 * each): a relative standard error of about 0.8 %, and at most about 8 KB once dense (a sketch of a few
 * users is a list of a few bytes each). Sketches merge by union, which is idempotent: a sketch written
 * twice, or held both in the grid and in PostgreSQL, counts each user once.
 */
public final class Reach {

    public static final int LG_K = 14;
    private static final TgtHllType TYPE = TgtHllType.HLL_4;
    private static final long USER_SEED = 0x5EEDAD6L;
    /** Longest accepted {@code u}: a pseudonymous id, not a profile. */
    public static final int MAX_USER_LENGTH = 128;

    static {
        allowNewerJdks();
    }

    private Reach() {
    }

    /**
     * datasketches-memory 3.x (under datasketches-java 6, the last line that runs on JDK 17) refuses at
     * class load any JDK newer than 21 by its {@code java.version}, though it runs on them (issue "Runs on
     * JDK 25": its sketches are tested there too). Its check reads the property once, so it is shown a
     * 21 for that moment, then the real value is put back. Every use of DataSketches here goes through
     * this class first.
     */
    private static void allowNewerJdks() {
        if (Runtime.version().feature() <= 21) {
            return;
        }
        synchronized (System.class) {
            String real = System.getProperty("java.version");
            System.setProperty("java.version", "21");
            try {
                Class.forName("org.apache.datasketches.memory.internal.ResourceImpl", true, Reach.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("datasketches-memory is not on the class path", e);
            } finally {
                System.setProperty("java.version", real);
            }
        }
    }

    public static HllSketch newSketch() {
        return new HllSketch(LG_K, TYPE);
    }

    /** The 64 bits the grid carries for a user id (its sketches hash them again). */
    public static long userHash(String user) {
        return MurmurHash3.hash(user.getBytes(StandardCharsets.UTF_8), USER_SEED)[0];
    }

    public static HllSketch read(byte[] sketch) {
        return HllSketch.heapify(Memory.wrap(sketch));
    }

    /** The union of serialized sketches, serialized (compact); null for none. */
    public static byte[] union(Collection<byte[]> sketches) {
        if (sketches.isEmpty()) {
            return null;
        }
        Union union = new Union(LG_K);
        for (byte[] s : sketches) {
            union.update(read(s));
        }
        return union.getResult(TYPE).toCompactByteArray();
    }

    /**
     * Distinct users of the union of these sketches, rounded; 0 for none. Always HLL's composite
     * estimate, which depends on the registers only: the same users merged in any order or any number
     * of times give the same number (the HIP estimate would change with how the sketches were merged).
     */
    public static long estimate(Collection<byte[]> sketches) {
        if (sketches.isEmpty()) {
            return 0;
        }
        Union union = new Union(LG_K);
        for (byte[] s : sketches) {
            union.update(read(s));
        }
        return Math.round(union.getCompositeEstimate());
    }
}
