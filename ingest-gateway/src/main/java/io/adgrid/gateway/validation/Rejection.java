package io.adgrid.gateway.validation;

/**
 * Why a beacon was refused: the HTTP status, a stable code (a metric tag, never user input) and
 * a short human reason.
 */
public record Rejection(int status, String code, String reason) {

    public static Rejection malformed(String code, String reason) {
        return new Rejection(400, code, reason);
    }

    public static final Rejection BAD_SIGNATURE = new Rejection(403, "bad_signature", "signature does not match");
    public static final Rejection UNKNOWN_KEY = new Rejection(403, "unknown_key", "unknown key id (kid)");
    public static final Rejection RETIRED_KEY = new Rejection(403, "retired_key", "retired key");
    /** A line of a request-signed body (issue 23) for a campaign its sender key does not list. */
    public static final Rejection CAMPAIGN_NOT_ALLOWED = new Rejection(403, "campaign_not_allowed",
            "the request's sender key may not send events of this banner's campaign");
    /** A line of a request-signed body that carries its own sig: the request's signature covers it, so none is read. */
    public static final Rejection SIG_IN_SIGNED_REQUEST = malformed("sig_in_signed_request",
            "a line of a request-signed body carries no sig (X-AdGrid-Signature covers it)");
    public static final Rejection UNKNOWN_BANNER = new Rejection(404, "unknown_banner", "unknown banner");
    public static final Rejection UNKNOWN_PUBLISHER = new Rejection(404, "unknown_publisher", "unknown publisher");
    public static final Rejection UNKNOWN_CLICK = new Rejection(404, "unknown_click", "unknown click id");
    public static final Rejection OUTSIDE_WINDOW = new Rejection(422, "outside_window",
            "the sale is not within the attribution window after its click");
    public static final Rejection TS_TOO_OLD = new Rejection(422, "ts_too_old", "ts is older than the accepted window");
    public static final Rejection TS_IN_FUTURE = new Rejection(422, "ts_in_future", "ts is too far in the future");
    public static final Rejection NEGATIVE_AMOUNT = new Rejection(422, "negative_amount", "amount must not be negative");
    public static final Rejection AMOUNT_PRECISION = new Rejection(422, "amount_precision", "amount has more than 6 decimal places");
    public static final Rejection AMOUNT_TOO_LARGE = new Rejection(422, "amount_too_large", "amount is larger than 1000000000");
    /** Refused by the grid: the key's revenue would pass {@code MoneyBounds.MAX_KEY_MICROS}. */
    public static final Rejection KEY_REVENUE_LIMIT = new Rejection(422, "key_revenue_limit",
            "revenue of this minute, banner and publisher would exceed 100000000000");
}
