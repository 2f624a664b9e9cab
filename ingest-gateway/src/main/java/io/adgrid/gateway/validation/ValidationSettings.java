package io.adgrid.gateway.validation;

import java.time.Duration;

/** The accepted {@code ts} window: how old and how far ahead a beacon's render time may be. */
public record ValidationSettings(Duration maxAge, Duration maxAhead) {

    public static ValidationSettings defaults() {
        return new ValidationSettings(Duration.ofMinutes(15), Duration.ofMinutes(1));
    }

    /** Minutes of event identities the grid must remember so a replay within the window is caught. */
    public int replayWindowMinutes() {
        return (int) (maxAge.toMinutes() + maxAhead.toMinutes() + 1);
    }
}
