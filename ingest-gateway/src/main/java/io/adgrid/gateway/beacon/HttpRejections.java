package io.adgrid.gateway.beacon;

import io.adgrid.gateway.validation.Rejection;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * Refusals decided from the HTTP request itself, before any beacon parameter is read. Their codes
 * are metric tags like every {@link Rejection} code: fixed here, never taken from the request.
 */
final class HttpRejections {

    static final Rejection NOT_FOUND = new Rejection(404, "not_found", "no such endpoint");
    static final Rejection METHOD_NOT_ALLOWED = new Rejection(405, "method_not_allowed", "method not allowed");
    static final Rejection URI_TOO_LONG = new Rejection(414, "uri_too_long", "URL too long");
    static final Rejection HEADERS_TOO_LARGE = new Rejection(431, "headers_too_large", "request headers too large");
    static final Rejection BODY_TOO_LARGE = new Rejection(413, "body_too_large", "request body too large");
    static final Rejection TOO_MANY_LINES = new Rejection(413, "too_many_lines", "at most " + EventsEndpoint.MAX_LINES + " lines per request");
    static final Rejection BAD_HTTP = Rejection.malformed("bad_http", "malformed HTTP request");
    static final Rejection BAD_VERSION = Rejection.malformed("bad_http", "HTTP version not supported (use HTTP/1.1 or HTTP/1.0)");

    private HttpRejections() {
    }

    /** Netty reads any {@code HTTP/x.y}; the gateway speaks 1.0 and 1.1 only. */
    static boolean isSupported(HttpVersion version) {
        return HttpVersion.HTTP_1_1.equals(version) || HttpVersion.HTTP_1_0.equals(version);
    }

    /** The refusal of a request Netty could not decode, or that a size limit cut short. */
    static Rejection undecodable(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HEADERS_TOO_LARGE;
        }
        if (cause instanceof TooLongFrameException) {
            return BODY_TOO_LARGE;
        }
        return BAD_HTTP;
    }

    /**
     * Whether the connection must be closed after the answer: the decoder of a request it could not
     * read discards everything that follows, so an answer kept alive would leave the client waiting.
     * A body over its limit is discarded to its end, so that connection stays usable.
     */
    static boolean closesConnection(Throwable cause) {
        return !(cause instanceof TooLongHttpContentException);
    }
}
