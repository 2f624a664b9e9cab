package io.adgrid.reporting.web;

import java.util.LinkedHashMap;
import java.util.Map;
import io.adgrid.persister.catalog.CatalogAdmin;
import io.adgrid.reporting.stats.BadQueryException;
import io.adgrid.reporting.stats.StatsService;
import com.hazelcast.core.HazelcastException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MultipartException;

/** Every error of the API as a short JSON reason: 4xx for bad requests, 503 when a backend is down, never a stack trace. */
@RestControllerAdvice
public class ApiErrors {

    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

    @ExceptionHandler(BadQueryException.class)
    ResponseEntity<Map<String, Object>> badQuery(BadQueryException e) {
        return error(HttpStatus.BAD_REQUEST, "bad_request", e.getMessage());
    }

    @ExceptionHandler(RequestRefusedException.class)
    ResponseEntity<Map<String, Object>> refused(RequestRefusedException e) {
        return error(e.status(), e.code(), e.getMessage());
    }

    @ExceptionHandler(CatalogAdmin.RefusedException.class)
    ResponseEntity<Map<String, Object>> catalogRefused(CatalogAdmin.RefusedException e) {
        return switch (e.problem()) {
            case NOT_FOUND -> error(HttpStatus.NOT_FOUND, "not_found", e.getMessage());
            case CONFLICT -> error(HttpStatus.CONFLICT, "conflict", e.getMessage());
            case INVALID -> error(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", e.getMessage());
            case NOT_ALLOWED -> error(HttpStatus.BAD_REQUEST, "bad_request", e.getMessage());
        };
    }

    /**
     * A body Spring could not hand to an endpoint: none where one is required (a form body arrives
     * as none: Spring read it as parameters), or one that could not be read (the client stopped
     * sending). Its own message is never passed on: it may quote the body.
     */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Map<String, Object>> unreadable(HttpMessageNotReadableException e) {
        return error(HttpStatus.BAD_REQUEST, "bad_request", e.getCause() == null ? StrictJsonBodies.NOT_JSON : "the request body could not be read");
    }

    /** A multipart body is parsed (by Spring, for any endpoint) before the handler is known: a malformed one is the client's error. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Map<String, Object>> multipart(MultipartException e) {
        return error(HttpStatus.BAD_REQUEST, "bad_request", "malformed multipart body; the API takes JSON (Content-Type: application/json)");
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    ResponseEntity<Map<String, Object>> missing(MissingServletRequestParameterException e) {
        return error(HttpStatus.BAD_REQUEST, "bad_request", "parameter " + e.getParameterName() + " is required");
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Map<String, Object>> typeMismatch(MethodArgumentTypeMismatchException e) {
        return error(HttpStatus.BAD_REQUEST, "bad_request", "parameter " + e.getName() + " has the wrong type");
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<Map<String, Object>> method(HttpRequestMethodNotSupportedException e) {
        return error(HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed", e.getMessage());
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<Map<String, Object>> notAcceptable(HttpMediaTypeNotAcceptableException e) {
        return error(HttpStatus.NOT_ACCEPTABLE, "not_acceptable", "ask for application/json or text/csv");
    }

    @ExceptionHandler({StatsService.DatabaseUnavailableException.class, CatalogAdmin.UnavailableException.class, HazelcastException.class})
    ResponseEntity<Map<String, Object>> unavailable(RuntimeException e) {
        log.warn("answering 503: {}", e.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "1")
                .body(Map.of("status", 503, "error", "unavailable", "reason", "a backend is unavailable, retry shortly"));
    }

    /** The one shape of every error the API answers: {@code {"status":N,"error":"code","reason":"…"}}. */
    public static ResponseEntity<Map<String, Object>> error(HttpStatus status, String code, String reason) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status.value());
        body.put("error", code);
        body.put("reason", reason);
        return ResponseEntity.status(status).body(body);
    }
}
