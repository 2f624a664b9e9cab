package io.adgrid.reporting.web;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A request record that {@link StrictJsonBodies} reads for a {@code @RequestBody}: one JSON object
 * of its fields and nothing else, each of its JSON type, or a precise 400 that never quotes what
 * the client sent.
 */
public interface JsonBody {

    /** What a field must be, said when the value has the wrong JSON type ("a positive integer"); by default from its Java type. */
    @Target({ElementType.FIELD, ElementType.RECORD_COMPONENT})
    @Retention(RetentionPolicy.RUNTIME)
    @interface Expected {
        String value();
    }
}
