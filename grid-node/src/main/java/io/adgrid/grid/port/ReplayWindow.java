package io.adgrid.grid.port;

import java.time.Clock;
import java.time.Duration;

/**
 * The accepted {@code ts} window, as the data members hold it: the one setting that decides both
 * which events a member takes and how long it remembers their identities. A member reads its own
 * clock for both (see {@link BackedUpEntryOperation}), never the caller's: a gateway or a reporting
 * process whose clock or configuration differs cannot make a member forget an identity it would
 * still accept.
 *
 * @param maxAge   how old a {@code ts} may be
 * @param maxAhead how far ahead of the member's clock a {@code ts} may be
 * @param clock    the member's clock (injectable for tests)
 */
public record ReplayWindow(Duration maxAge, Duration maxAhead, Clock clock) {

    /** Where a member's window sits in its Hazelcast user context. */
    public static final String USER_CONTEXT_KEY = "adgrid.replayWindow";

    public ReplayWindow {
        if (maxAge.isNegative() || maxAhead.isNegative()) {
            throw new IllegalArgumentException("the ts window must not be negative: max-age " + maxAge + ", max-ahead " + maxAhead);
        }
    }

    public static ReplayWindow defaults() {
        return new ReplayWindow(Duration.ofMinutes(15), Duration.ofMinutes(1), Clock.systemUTC());
    }

    /** Minutes of identities kept behind the member's clock: every ts it accepts, and one more. */
    public int minutes() {
        return (int) (maxAge.toMinutes() + maxAhead.toMinutes() + 1);
    }

    /** The same window on another clock. */
    public ReplayWindow withClock(Clock other) {
        return new ReplayWindow(maxAge, maxAhead, other);
    }
}
