package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.Objects;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

/** Mutable counter values. Revenue is in micros (10^-6 of the campaign's currency unit): exact, never a double. */
public final class Counts {
    public long impressions;
    public long clicks;
    public long conversions;
    public long revenueMicros;

    public Counts() {
    }

    public Counts(long impressions, long clicks, long conversions, long revenueMicros) {
        this.impressions = impressions;
        this.clicks = clicks;
        this.conversions = conversions;
        this.revenueMicros = revenueMicros;
    }

    public Counts add(Counts other) {
        impressions += other.impressions;
        clicks += other.clicks;
        conversions += other.conversions;
        revenueMicros += other.revenueMicros;
        return this;
    }

    public Counts copy() {
        return new Counts(impressions, clicks, conversions, revenueMicros);
    }

    public boolean isZero() {
        return impressions == 0 && clicks == 0 && conversions == 0 && revenueMicros == 0;
    }

    void writeTo(ObjectDataOutput out) throws IOException {
        out.writeLong(impressions);
        out.writeLong(clicks);
        out.writeLong(conversions);
        out.writeLong(revenueMicros);
    }

    static Counts readFrom(ObjectDataInput in) throws IOException {
        return new Counts(in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Counts c && c.impressions == impressions && c.clicks == clicks
                && c.conversions == conversions && c.revenueMicros == revenueMicros;
    }

    @Override
    public int hashCode() {
        return Objects.hash(impressions, clicks, conversions, revenueMicros);
    }

    @Override
    public String toString() {
        return "Counts[i=" + impressions + ", c=" + clicks + ", s=" + conversions + ", rev=" + revenueMicros + "]";
    }
}
