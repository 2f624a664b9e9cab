package io.adgrid.grid.port;

import java.io.IOException;
import java.util.Objects;
import java.io.DataInput;
import java.io.DataOutput;

/**
 * Mutable counter values. Revenue is in micros (10^-6 of the campaign's currency unit): exact, never a double.
 * Every counted click is in exactly one of {@code clicks} (clean), {@code suspectClicks} (fraud signals)
 * and {@code invalid} (known robots, with their impressions).
 */
public final class Counts {
    public long impressions;
    public long clicks;
    public long conversions;
    public long revenueMicros;
    /** Clicks without a recorded impression, or over the per-IP rate: answered like clicks, counted apart. */
    public long suspectClicks;
    /** Impressions and clicks from known robots (general invalid traffic): counted once, never billed. */
    public long invalid;

    public Counts() {
    }

    public Counts(long impressions, long clicks, long conversions, long revenueMicros) {
        this.impressions = impressions;
        this.clicks = clicks;
        this.conversions = conversions;
        this.revenueMicros = revenueMicros;
    }

    public Counts(long impressions, long clicks, long conversions, long revenueMicros, long suspectClicks) {
        this(impressions, clicks, conversions, revenueMicros);
        this.suspectClicks = suspectClicks;
    }

    public Counts(long impressions, long clicks, long conversions, long revenueMicros, long suspectClicks, long invalid) {
        this(impressions, clicks, conversions, revenueMicros, suspectClicks);
        this.invalid = invalid;
    }

    /** Adds {@code other}; a sum past a long throws {@link ArithmeticException} rather than wrap. */
    public Counts add(Counts other) {
        impressions = Math.addExact(impressions, other.impressions);
        clicks = Math.addExact(clicks, other.clicks);
        conversions = Math.addExact(conversions, other.conversions);
        revenueMicros = Math.addExact(revenueMicros, other.revenueMicros);
        suspectClicks = Math.addExact(suspectClicks, other.suspectClicks);
        invalid = Math.addExact(invalid, other.invalid);
        return this;
    }

    /** Adds one sale's amount; a sum past a long throws {@link ArithmeticException} rather than wrap. */
    public void addSale(long amountMicros) {
        conversions = Math.addExact(conversions, 1);
        revenueMicros = Math.addExact(revenueMicros, amountMicros);
    }

    public Counts copy() {
        return new Counts(impressions, clicks, conversions, revenueMicros, suspectClicks, invalid);
    }

    public boolean isZero() {
        return impressions == 0 && clicks == 0 && conversions == 0 && revenueMicros == 0 && suspectClicks == 0 && invalid == 0;
    }

    public void writeTo(DataOutput out) throws IOException {
        out.writeLong(impressions);
        out.writeLong(clicks);
        out.writeLong(conversions);
        out.writeLong(revenueMicros);
        out.writeLong(suspectClicks);
        out.writeLong(invalid);
    }

    public static Counts readFrom(DataInput in) throws IOException {
        return new Counts(in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Counts c && c.impressions == impressions && c.clicks == clicks
                && c.conversions == conversions && c.revenueMicros == revenueMicros && c.suspectClicks == suspectClicks
                && c.invalid == invalid;
    }

    @Override
    public int hashCode() {
        return Objects.hash(impressions, clicks, conversions, revenueMicros, suspectClicks, invalid);
    }

    @Override
    public String toString() {
        return "Counts[i=" + impressions + ", c=" + clicks + ", s=" + conversions + ", rev=" + revenueMicros
                + (suspectClicks == 0 ? "" : ", suspect=" + suspectClicks) + (invalid == 0 ? "" : ", invalid=" + invalid) + "]";
    }
}
