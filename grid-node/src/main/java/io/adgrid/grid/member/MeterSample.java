package io.adgrid.grid.member;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * One meter of one process, as the ops overview needs it: a counter's count, a gauge's value, a
 * timer's or summary's count, total and cumulative histogram buckets (timers in seconds).
 *
 * @param bucketBounds upper bounds of the histogram buckets (seconds for timers); empty when the meter publishes none
 * @param bucketCounts samples at or below each bound since the process started
 * @param percentiles  client-side percentiles the meter publishes (e.g. 0.5, 0.99), with {@code percentileValues}
 */
public record MeterSample(String name, Map<String, String> tags, Kind kind, double count, double total, double value,
                          double[] bucketBounds, double[] bucketCounts, double[] percentiles, double[] percentileValues) {

    /** No buckets or percentiles. */
    public static final double[] NONE = new double[0];

    public enum Kind { COUNTER, GAUGE, TIMER, SUMMARY }

    public String tag(String key) {
        return tags.getOrDefault(key, "");
    }

    /** Identity of the meter within its process: name and tags. */
    public String id() {
        return name + tags;
    }

    void writeTo(DataOutput out) throws IOException {
        out.writeUTF(name);
        out.writeInt(tags.size());
        for (Map.Entry<String, String> e : tags.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
        out.writeByte(kind.ordinal());
        out.writeDouble(count);
        out.writeDouble(total);
        out.writeDouble(value);
        writeDoubles(out, bucketBounds);
        writeDoubles(out, bucketCounts);
        writeDoubles(out, percentiles);
        writeDoubles(out, percentileValues);
    }

    static MeterSample readFrom(DataInput in) throws IOException {
        String name = in.readUTF();
        int n = in.readInt();
        Map<String, String> tags = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            tags.put(in.readUTF(), in.readUTF());
        }
        Kind kind = Kind.values()[in.readByte()];
        return new MeterSample(name, tags, kind, in.readDouble(), in.readDouble(), in.readDouble(), readDoubles(in), readDoubles(in),
                readDoubles(in), readDoubles(in));
    }

    private static void writeDoubles(DataOutput out, double[] values) throws IOException {
        out.writeInt(values.length);
        for (double v : values) {
            out.writeDouble(v);
        }
    }

    private static double[] readDoubles(DataInput in) throws IOException {
        double[] values = new double[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readDouble();
        }
        return values;
    }
}
