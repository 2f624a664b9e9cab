package io.adgrid.grid.port;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.io.DataInput;
import java.io.DataOutput;

/** Increments per counter key, the unit that moves from the grid to PostgreSQL. */
public final class CounterDeltas {

    private final Map<CounterKey, Counts> deltas;

    public CounterDeltas() {
        this(new HashMap<>());
    }

    private CounterDeltas(Map<CounterKey, Counts> deltas) {
        this.deltas = deltas;
    }

    public Counts at(CounterKey key) {
        return deltas.computeIfAbsent(key, k -> new Counts());
    }

    /** The counts of a key, null when it has none. */
    public Counts get(CounterKey key) {
        return deltas.get(key);
    }

    public void add(CounterKey key, Counts counts) {
        at(key).add(counts);
    }

    public void addAll(CounterDeltas other) {
        other.deltas.forEach(this::add);
    }

    public Map<CounterKey, Counts> asMap() {
        return deltas;
    }

    public boolean isEmpty() {
        return deltas.isEmpty();
    }

    public int size() {
        return deltas.size();
    }

    /** Moves the counts of minutes before {@code minute} out of this into the returned deltas. */
    public CounterDeltas removeBefore(long minute) {
        CounterDeltas out = new CounterDeltas();
        deltas.entrySet().removeIf(e -> {
            if (e.getKey().minute() < minute) {
                out.deltas.put(e.getKey(), e.getValue());
                return true;
            }
            return false;
        });
        return out;
    }

    /** The earliest minute with counts, {@link Long#MAX_VALUE} when empty. */
    public long oldestMinute() {
        long oldest = Long.MAX_VALUE;
        for (CounterKey k : deltas.keySet()) {
            oldest = Math.min(oldest, k.minute());
        }
        return oldest;
    }

    public CounterDeltas filter(CounterFilter filter) {
        CounterDeltas out = new CounterDeltas();
        deltas.forEach((k, v) -> {
            if (filter.test(k)) {
                out.deltas.put(k, v.copy());
            }
        });
        return out;
    }

    /**
     * These counts summed per campaign and minute: keys with banner and publisher 0. A pacing refresh
     * needs no more, and this is what crosses the network.
     */
    public CounterDeltas byCampaign() {
        CounterDeltas out = new CounterDeltas();
        deltas.forEach((k, v) -> out.add(k.campaignMinute(), v));
        return out;
    }

    /** A copy of the counts of the given campaigns in [fromMinute, toMinute). */
    public CounterDeltas select(long[] sortedCampaigns, long fromMinute, long toMinute) {
        CounterDeltas out = new CounterDeltas();
        deltas.forEach((k, v) -> {
            if (k.minute() >= fromMinute && k.minute() < toMinute && java.util.Arrays.binarySearch(sortedCampaigns, k.campaignId()) >= 0) {
                out.deltas.put(k, v.copy());
            }
        });
        return out;
    }

    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(deltas.size());
        for (Map.Entry<CounterKey, Counts> e : deltas.entrySet()) {
            CounterKey k = e.getKey();
            out.writeLong(k.minute());
            out.writeLong(k.campaignId());
            out.writeLong(k.bannerId());
            out.writeLong(k.publisherId());
            e.getValue().writeTo(out);
        }
    }

    public static CounterDeltas readFrom(DataInput in) throws IOException {
        int n = in.readInt();
        Map<CounterKey, Counts> map = new HashMap<>(Math.max(16, n * 2));
        for (int i = 0; i < n; i++) {
            map.put(new CounterKey(in.readLong(), in.readLong(), in.readLong(), in.readLong()), Counts.readFrom(in));
        }
        return new CounterDeltas(map);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CounterDeltas d && d.deltas.equals(deltas);
    }

    @Override
    public int hashCode() {
        return deltas.hashCode();
    }

    @Override
    public String toString() {
        return deltas.toString();
    }
}
