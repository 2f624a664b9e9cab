package io.adgrid.gatling.beacon;

import java.util.Map;
import java.util.regex.Pattern;
import io.adgrid.gatling.exactness.Ledger;

/**
 * One HTTP request carrying an event (or a hostile imitation of one) and what it must be answered. The
 * Gatling checks feed the answer in ({@link #answered}, {@link #location}, {@link #body}); {@link #verify}
 * then decides, books a 2xx into the {@link Ledger} (once per event) and throws, failing the Gatling check,
 * on any answer the contract forbids.
 */
public final class Attempt {

    public enum Shape {
        /** GET path?query */
        GET,
        /** POST path?query with an empty body */
        POST_QUERY,
        /** POST path, application/x-www-form-urlencoded body */
        FORM,
        /** POST path, one JSON object */
        JSON
    }

    private static final Pattern DUPLICATE = Pattern.compile("\"duplicate\"\\s*:\\s*true");
    private static final Pattern JSON_NUMBER = Pattern.compile("-?\\d{1,18}(\\.\\d{1,18})?");

    /** The event this request carries; null for a request that must never count anything. */
    public final Event event;
    public final String path;
    public final Shape shape;
    public final Map<String, String> params;
    public final Expect expect;
    private final Ledger ledger;
    private final String landing;
    private final boolean sheddingAllowed;

    private volatile long sentNanos;
    private volatile int status;
    private volatile int latencyMs = -1;
    private volatile String location = "";
    private volatile String body = "";

    public Attempt(Event event, String path, Shape shape, Map<String, String> params, Expect expect, Ledger ledger,
            String landing, boolean sheddingAllowed) {
        this.event = event;
        this.path = path;
        this.shape = shape;
        this.params = params;
        this.expect = expect;
        this.ledger = ledger;
        this.landing = landing;
        this.sheddingAllowed = sheddingAllowed;
    }

    public String url() {
        return shape == Shape.GET || shape == Shape.POST_QUERY ? path + "?" + Signer.urlEncoded(params) : path;
    }

    public String formBody() {
        return Signer.urlEncoded(params);
    }

    /** A flat JSON object; ids, ts and amount as JSON numbers written like the signed text (CONTRACT: signed as written). */
    public String jsonBody() {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(e.getKey()).append("\":");
            boolean numeric = switch (e.getKey()) {
                case "b", "p", "ts", "amount" -> JSON_NUMBER.matcher(e.getValue()).matches();
                default -> false;
            };
            if (numeric) {
                sb.append(e.getValue());
            } else {
                sb.append('"').append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return sb.append('}').toString();
    }

    public Attempt begin() {
        sentNanos = System.nanoTime();
        status = 0;
        return this;
    }

    public long sentNanos() {
        return sentNanos;
    }

    /** The HTTP status, 0 when no answer came (timeout, connection refused). */
    public int status() {
        return status;
    }

    /** Gatling's response time, or -1 when no answer came. */
    public int latencyMs() {
        return latencyMs;
    }

    public void latency(int ms) {
        latencyMs = ms;
    }

    public void location(String value) {
        location = value == null ? "" : value;
    }

    public void body(String value) {
        body = value == null ? "" : value;
    }

    /** Records the answer for {@link #verify}. */
    public void answered(int httpStatus) {
        status = httpStatus;
    }

    /**
     * Judges the answer recorded (status, Location, body) and books it.
     *
     * @throws IllegalStateException when the contract forbids this answer (Gatling marks the request KO)
     */
    public void verify() {
        int httpStatus = status;
        if (httpStatus == 503 && sheddingAllowed && event != null) {
            return; // load shed: re-sent after the run until it gets a definite answer
        }
        switch (expect.kind()) {
            case COUNT -> verifyCounted(httpStatus);
            case DUPLICATE -> {
                if (httpStatus == 200 && DUPLICATE.matcher(body).find()) {
                    ledger.accept(event);
                } else if (httpStatus == 202) {
                    ledger.violation(event.id() + " was answered 202 again after a 2xx (counted twice)");
                    throw new IllegalStateException("retried sale: expected 200 duplicate, got a second 202");
                } else {
                    throw new IllegalStateException("retried sale: expected 200 duplicate, got " + httpStatus);
                }
            }
            case REJECT -> {
                if (httpStatus != expect.status()) {
                    if (httpStatus >= 200 && httpStatus < 400 && event == null) {
                        ledger.violation("a request that must be refused with " + expect.status() + " was answered " + httpStatus
                                + ": " + path + " " + params);
                    }
                    throw new IllegalStateException("expected " + expect.status() + ", got " + httpStatus);
                }
            }
            default -> throw new IllegalStateException(expect.toString());
        }
    }

    private void verifyCounted(int httpStatus) {
        String what = event.type.name().toLowerCase();
        switch (event.type) {
            case IMPRESSION -> {
                if (httpStatus != 200) {
                    throw new IllegalStateException(what + ": expected 200, got " + httpStatus);
                }
                ledger.accept(event);
            }
            case CLICK -> {
                if (httpStatus != 302) {
                    throw new IllegalStateException(what + ": expected 302, got " + httpStatus);
                }
                ledger.accept(event);
                if (location.isEmpty()) {
                    throw new IllegalStateException("click: 302 without Location");
                }
                if (landing != null && !isLanding(location)) {
                    ledger.violation(event.id() + " redirected to " + location + ", expected " + landing);
                    throw new IllegalStateException("click: redirected to a URL that is not the banner's landing page");
                }
            }
            case SALE -> {
                if (httpStatus == 202) {
                    ledger.accept(event);
                    if (event.created() > 1) {
                        ledger.violation(event.id() + " was answered 202 twice (counted twice)");
                        throw new IllegalStateException("sale: a second 202 for the same order");
                    }
                } else if (httpStatus == 200 && DUPLICATE.matcher(body).find()) {
                    ledger.accept(event); // an earlier post (a race, or one whose answer was lost) counted it
                } else {
                    throw new IllegalStateException(what + ": expected 202 or 200 duplicate, got " + httpStatus);
                }
            }
            default -> throw new IllegalStateException(what);
        }
    }

    /** After the request, answered or not: an event without a definite answer waits for the settle step. */
    public void finish() {
        int s = status;
        if (event != null && (s == 0 || s >= 500)) {
            ledger.pending(event);
        }
    }

    /** The banner's landing URL, as registered or with the click's id added (issue 21: {@code agclid}). */
    private boolean isLanding(String location) {
        return location.equals(landing)
                || location.matches(java.util.regex.Pattern.quote(landing) + (landing.contains("?") ? "&" : "\\?") + "agclid=[A-Za-z0-9_-]+");
    }
}
