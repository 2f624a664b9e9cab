package io.adgrid.event;

import java.util.Locale;
import java.util.Optional;

/** The three things a beacon can report. The code is the beacon path and the wire byte. */
public enum EventType {
    IMPRESSION('i'),
    CLICK('c'),
    SALE('s');

    private final char code;

    EventType(char code) {
        this.code = code;
    }

    public char code() {
        return code;
    }

    /** Accepts the one-letter code or the full name, case-insensitive ("i", "impression"). */
    public static Optional<EventType> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String t = text.toLowerCase(Locale.ROOT);
        for (EventType type : values()) {
            if (t.length() == 1 && t.charAt(0) == type.code || t.equals(type.name().toLowerCase(Locale.ROOT))) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    public static EventType ofCode(byte code) {
        return switch (code) {
            case 'i' -> IMPRESSION;
            case 'c' -> CLICK;
            case 's' -> SALE;
            default -> throw new IllegalArgumentException("unknown event code " + code);
        };
    }
}
