package io.adgrid.gateway.validation;

import java.time.Clock;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.catalog.SenderKey;
import io.adgrid.gateway.catalog.CatalogView;
import io.adgrid.signing.RequestSignature;

/**
 * Checks the whole-request signature of a {@code POST /events} body (issue 23,
 * {@link RequestSignature}): the header well formed (400), its sender key known and enabled (403),
 * the HMAC over method, path, kid, ts and the body right with the key's secret, or with its previous
 * one during a rotation's overlap (403), and its {@code ts} within the window a beacon's {@code ts}
 * must meet (422). Signature first, then time, as for a beacon, so an unsigned request learns nothing
 * of the window. Sender keys not read yet (a gateway started from its catalog file without the
 * database) is a 503: the key may well be good.
 */
public final class SignedRequests {

    public static final Rejection SENDER_KEYS_LOADING = new Rejection(503, "sender_keys_loading",
            "the gateway has not read the sender keys yet, retry later");
    public static final Rejection UNKNOWN_SENDER_KEY = new Rejection(403, "unknown_sender_key", "unknown sender key (kid)");
    public static final Rejection DISABLED_SENDER_KEY = new Rejection(403, "disabled_sender_key", "the sender key is disabled");
    public static final Rejection BAD_REQUEST_SIGNATURE = new Rejection(403, "bad_request_signature",
            "the request signature does not match (method, path, kid, ts and the exact body bytes are signed)");
    public static final Rejection REQUEST_TS_TOO_OLD = new Rejection(422, "request_ts_too_old",
            "the request signature's ts is older than the accepted window: sign the request again");
    public static final Rejection REQUEST_TS_IN_FUTURE = new Rejection(422, "request_ts_in_future",
            "the request signature's ts is too far in the future");
    public static final Rejection REPEATED_HEADER = Rejection.malformed("bad_signature_header",
            RequestSignature.HEADER + " must appear once");

    /** The verdict on a request's signature. */
    public sealed interface Verdict {
    }

    /** Signed by {@code key}; {@code header.sig()} is what tells this request from any other. */
    public record Signed(SenderKey key, RequestSignature.Header header) implements Verdict {
    }

    public record Refused(Rejection rejection) implements Verdict {
    }

    private final CatalogView catalog;
    private final Clock clock;
    private final ValidationSettings settings;

    public SignedRequests(CatalogView catalog, Clock clock, ValidationSettings settings) {
        this.catalog = catalog;
        this.clock = clock;
        this.settings = settings;
    }

    /**
     * @param values every value of the signature header the request carries (at least one)
     * @param body   the body; the bytes {@code [offset, offset + length)} are what was signed
     */
    public Verdict check(String method, String path, List<String> values, byte[] body, int offset, int length) {
        if (values.size() != 1) {
            return new Refused(REPEATED_HEADER);
        }
        RequestSignature.Header header;
        try {
            header = RequestSignature.parse(values.get(0));
        } catch (RequestSignature.MalformedException e) {
            return new Refused(Rejection.malformed("bad_signature_header", e.getMessage()));
        }
        if (!catalog.senderKeysLoaded()) {
            return new Refused(SENDER_KEYS_LOADING);
        }
        SenderKey key = catalog.senderKey(header.kid());
        if (key == null) {
            return new Refused(UNKNOWN_SENDER_KEY);
        }
        if (key.disabled()) {
            return new Refused(DISABLED_SENDER_KEY);
        }
        long now = clock.millis();
        if (!RequestSignature.verify(key.secret(), method, path, header, body, offset, length)) {
            SecretKeySpec previous = key.previousAt(now);
            if (previous == null || !RequestSignature.verify(previous, method, path, header, body, offset, length)) {
                return new Refused(BAD_REQUEST_SIGNATURE);
            }
        }
        if (header.ts() < now - settings.maxAge().toMillis()) {
            return new Refused(REQUEST_TS_TOO_OLD);
        }
        if (header.ts() > now + settings.maxAhead().toMillis()) {
            return new Refused(REQUEST_TS_IN_FUTURE);
        }
        return new Signed(key, header);
    }

    /** How long after its {@code ts} a signed request is refused anyway (too old): how long a replay guard must remember it. */
    public long windowEndMillis(long ts) {
        return ts + settings.maxAge().toMillis();
    }

    public long now() {
        return clock.millis();
    }
}
