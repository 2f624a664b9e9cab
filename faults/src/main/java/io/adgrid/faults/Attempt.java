package io.adgrid.faults;

/**
 * One request's outcome for one event (a {@code POST /events} request gives one per line).
 *
 * @param request the client's request number, shared by the lines of one {@code /events} request
 * @param replay  sent after the event was acknowledged (a re-post, a replayed URL or batch): the
 *                answer must not count it again, and says so where the protocol can
 * @param status  HTTP status of the request or of the line, -1 when nothing answered
 */
record Attempt(long atMillis, String request, String eventId, String path, String gateway, boolean replay, int status,
               Outcome outcome) {

    enum Outcome {
        /** 2xx for a protocol that does not say whether it was new (GET /i, GET /c). */
        ACKED,
        /** 2xx saying it was counted now (202 for a sale; no duplicates in an /events answer). */
        ACCEPTED,
        /** 2xx saying it was a duplicate (200 {"duplicate":true}; only duplicates in an /events answer). */
        DUPLICATE,
        /** 4xx, or 503 for a single beacon (but 503 outcome_unknown): never counted. */
        REFUSED,
        /** No answer (timeout, reset, refused connection), a 503 outcome_unknown, or a 503 line of /events (it may have reached the grid). */
        UNKNOWN;

        boolean acknowledged() {
            return this == ACKED || this == ACCEPTED || this == DUPLICATE;
        }
    }
}
