package io.adgrid.grid.port;

import java.io.IOException;
import java.io.DataInput;
import java.io.DataOutput;

/** Which counters a report wants: one campaign, banner or publisher (or all), in [fromMinute, toMinute). */
public record CounterFilter(Dimension dimension, long id, long fromMinute, long toMinute) {

    public enum Dimension { ALL, CAMPAIGN, BANNER, PUBLISHER }

    public static CounterFilter all() {
        return new CounterFilter(Dimension.ALL, 0, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    public boolean test(CounterKey key) {
        if (key.minute() < fromMinute || key.minute() >= toMinute) {
            return false;
        }
        return switch (dimension) {
            case ALL -> true;
            case CAMPAIGN -> key.campaignId() == id;
            case BANNER -> key.bannerId() == id;
            case PUBLISHER -> key.publisherId() == id;
        };
    }

    public void writeTo(DataOutput out) throws IOException {
        out.writeByte(dimension.ordinal());
        out.writeLong(id);
        out.writeLong(fromMinute);
        out.writeLong(toMinute);
    }

    public static CounterFilter readFrom(DataInput in) throws IOException {
        return new CounterFilter(Dimension.values()[in.readByte()], in.readLong(), in.readLong(), in.readLong());
    }
}
