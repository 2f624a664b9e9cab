package io.adgrid.reporting.web;

import org.springframework.http.HttpStatus;

/**
 * A request an endpoint refuses before doing anything (400 by default), answered by {@link ApiErrors}
 * with its code and message; the message never quotes a value the client sent.
 */
public class RequestRefusedException extends RuntimeException {

    private final HttpStatus status;
    private final String code;

    public RequestRefusedException(String message) {
        this(HttpStatus.BAD_REQUEST, "bad_request", message);
    }

    public RequestRefusedException(HttpStatus status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    HttpStatus status() {
        return status;
    }

    String code() {
        return code;
    }
}
