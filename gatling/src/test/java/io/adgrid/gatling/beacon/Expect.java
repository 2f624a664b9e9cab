package io.adgrid.gatling.beacon;

/** What the gateway must answer to one request. */
public record Expect(Kind kind, int status) {

    public enum Kind {
        /** A genuine event: its success answer (200 pixel, 302 landing, 202 or, for a sale already counted, 200 duplicate). */
        COUNT,
        /** A sale whose order was already answered 2xx: 200 {"duplicate":true}, never a second 202. */
        DUPLICATE,
        /** Bad input: exactly this 4xx, never counted. */
        REJECT
    }

    public static Expect count() {
        return new Expect(Kind.COUNT, 0);
    }

    public static Expect duplicate() {
        return new Expect(Kind.DUPLICATE, 200);
    }

    public static Expect reject(int status) {
        return new Expect(Kind.REJECT, status);
    }

    /** A retry of a sale: a duplicate when an earlier post was answered 2xx, else it may be the one that counts. */
    public static Expect retryOf(Event sale) {
        return sale.isAccepted() ? duplicate() : count();
    }
}
