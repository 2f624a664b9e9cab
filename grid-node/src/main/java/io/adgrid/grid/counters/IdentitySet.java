package io.adgrid.grid.counters;

import java.io.IOException;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

/**
 * A set of 128-bit event identities in two primitive arrays (open addressing, linear probing):
 * 16 bytes a slot and no object per entry, where a {@code HashSet} of records costs about 72 bytes
 * and one object for the garbage collector to trace per remembered beacon. Identities are HMAC
 * bits, already uniform, so a light mix of both halves indexes well. Not thread-safe: a grid entry
 * is only touched by its partition thread.
 */
final class IdentitySet {

    private static final int MIN_CAPACITY = 16;
    private static final float LOAD = 0.6f;

    private long[] his;
    private long[] los;
    /** (0, 0) marks an empty slot, so that one identity is kept aside. */
    private boolean hasZero;
    private int size;

    IdentitySet() {
        this(MIN_CAPACITY);
    }

    IdentitySet(int expected) {
        int capacity = Integer.highestOneBit(Math.max(MIN_CAPACITY, (int) (expected / LOAD) + 1) - 1) << 1;
        his = new long[capacity];
        los = new long[capacity];
    }

    /** @return true when the identity was not in the set */
    boolean add(long hi, long lo) {
        if (hi == 0 && lo == 0) {
            if (hasZero) {
                return false;
            }
            hasZero = true;
            size++;
            return true;
        }
        int mask = his.length - 1;
        int i = index(hi, lo, mask);
        while (his[i] != 0 || los[i] != 0) {
            if (his[i] == hi && los[i] == lo) {
                return false;
            }
            i = (i + 1) & mask;
        }
        his[i] = hi;
        los[i] = lo;
        if (++size > his.length * LOAD) {
            grow();
        }
        return true;
    }

    /** @return true when the identity is in the set */
    boolean contains(long hi, long lo) {
        if (hi == 0 && lo == 0) {
            return hasZero;
        }
        int mask = his.length - 1;
        int i = index(hi, lo, mask);
        while (his[i] != 0 || los[i] != 0) {
            if (his[i] == hi && los[i] == lo) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    int size() {
        return size;
    }

    /** Approximate heap bytes of the arrays, for the dedup-memory figures. */
    long bytes() {
        return 16L * his.length + 32;
    }

    void writeTo(ObjectDataOutput out) throws IOException {
        out.writeInt(size);
        if (hasZero) {
            out.writeLong(0);
            out.writeLong(0);
        }
        for (int i = 0; i < his.length; i++) {
            if (his[i] != 0 || los[i] != 0) {
                out.writeLong(his[i]);
                out.writeLong(los[i]);
            }
        }
    }

    static IdentitySet readFrom(ObjectDataInput in) throws IOException {
        int n = in.readInt();
        IdentitySet set = new IdentitySet(n);
        for (int i = 0; i < n; i++) {
            set.add(in.readLong(), in.readLong());
        }
        return set;
    }

    private void grow() {
        long[] oldHis = his;
        long[] oldLos = los;
        his = new long[oldHis.length * 2];
        los = new long[oldLos.length * 2];
        int mask = his.length - 1;
        for (int j = 0; j < oldHis.length; j++) {
            if (oldHis[j] != 0 || oldLos[j] != 0) {
                int i = index(oldHis[j], oldLos[j], mask);
                while (his[i] != 0 || los[i] != 0) {
                    i = (i + 1) & mask;
                }
                his[i] = oldHis[j];
                los[i] = oldLos[j];
            }
        }
    }

    private static int index(long hi, long lo, int mask) {
        long h = (hi ^ lo) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }
}
