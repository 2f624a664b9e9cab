package io.adgrid.grid.port;

/**
 * What PostgreSQL holds of one grid entry's epoch: the last write-behind batch written
 * ({@code lastSeq}), the minutes that batch and every partial one before it since {@code fullSeq}
 * covered (those before {@code cutMinute}), and the last batch that took all pending counts.
 *
 * <p>A count the entry took while its next batch was {@code seq} (see {@code RouteState.seal}) is in
 * PostgreSQL exactly when {@link #holds}: either a batch at or after {@code seq} took everything
 * and is written, or the written batches since {@code seq} have passed the count's minute. The
 * second rule needs the cuts of partial batches to grow between two full ones, which RouteState keeps.
 */
public record Watermark(long lastSeq, long cutMinute, long fullSeq) {

    /** An epoch PostgreSQL has nothing of. */
    public static final Watermark NONE = new Watermark(0, Long.MIN_VALUE, 0);

    /** Batches up to {@code seq} written, each having taken everything pending. */
    public static Watermark full(long seq) {
        return new Watermark(seq, Long.MAX_VALUE, seq);
    }

    /** Whether PostgreSQL holds a count of {@code minute} taken while the entry's next batch was {@code seq}. */
    public boolean holds(long seq, long minute) {
        return seq <= fullSeq || (seq <= lastSeq && minute < cutMinute);
    }
}
