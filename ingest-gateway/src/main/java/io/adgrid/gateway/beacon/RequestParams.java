package io.adgrid.gateway.beacon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import io.adgrid.gateway.validation.Rejection;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Turns a query string, a form body or a flat JSON object into beacon parameters. Anything
 * ambiguous is refused rather than guessed: a repeated name, a nested value, a bad escape.
 */
final class RequestParams {

    static final int MAX_PARAMS = 16;
    static final int MAX_VALUE_LENGTH = 256;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(2).maxStringLength(4096).maxNumberLength(64).build())
            .build();

    private RequestParams() {
    }

    /**
     * Parameters of a query string or an {@code application/x-www-form-urlencoded} body. Splits as
     * Netty's {@link QueryStringDecoder} does ({@code &} or {@code ;} between parameters, a {@code #}
     * ends the query, a name without {@code =} has an empty value) but straight into the result:
     * no list per parameter, and nothing past the parameter limit is decoded.
     */
    static Map<String, String> fromQuery(String query, boolean hasPath) {
        int from = hasPath ? pathEnd(query) : 0;
        int length = query.length();
        if (from < length && query.charAt(from) == '?') {
            from++;
        }
        Map<String, String> params = new HashMap<>(2 * MAX_PARAMS);
        int nameStart = from;
        int valueStart = -1;
        int i = from;
        for (; i < length; i++) {
            char c = query.charAt(i);
            if (c == '=') {
                if (nameStart == i) {
                    nameStart = i + 1;
                } else if (valueStart < nameStart) {
                    valueStart = i + 1;
                }
            } else if (c == '&' || c == ';') {
                add(query, nameStart, valueStart, i, params);
                nameStart = i + 1;
            } else if (c == '#') {
                break;
            }
        }
        add(query, nameStart, valueStart, i, params);
        return params;
    }

    private static int pathEnd(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                return i;
            }
        }
        return uri.length();
    }

    private static void add(String query, int nameStart, int valueStart, int end, Map<String, String> params) {
        if (nameStart >= end) {
            return;
        }
        if (valueStart <= nameStart) {
            valueStart = end + 1;
        }
        if (params.size() == MAX_PARAMS) {
            throw new BadRequestException(Rejection.malformed("too_many_parameters", "too many parameters"));
        }
        String name = decode(query.substring(nameStart, valueStart - 1));
        String value = valueStart < end ? decode(query.substring(valueStart, end)) : "";
        if (params.put(name, checkLength(value)) != null) {
            throw new BadRequestException(Rejection.malformed("repeated_parameter", "a parameter is given more than once"));
        }
    }

    /** Percent-decoding and {@code +} as a space; returns {@code s} itself when there is nothing to decode. */
    private static String decode(String s) {
        try {
            return QueryStringDecoder.decodeComponent(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(Rejection.malformed("bad_encoding", "malformed percent-encoding"));
        }
    }

    /** Parameters of one flat JSON object: string or number values, numbers as written. */
    static Map<String, String> fromJson(byte[] json, int offset, int length) {
        Map<String, String> params = new HashMap<>();
        try (JsonParser p = JSON.createParser(json, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw malformedJson("expected a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
                    throw malformedJson("values must be strings or numbers");
                }
                if (params.size() >= MAX_PARAMS) {
                    throw new BadRequestException(Rejection.malformed("too_many_parameters", "too many parameters"));
                }
                if (params.put(name, checkLength(p.getText())) != null) {
                    throw new BadRequestException(Rejection.malformed("repeated_parameter", "a parameter is given more than once"));
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw malformedJson("expected exactly one JSON object");
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadRequestException bad) {
                throw bad;
            }
            throw malformedJson("malformed JSON");
        }
        return params;
    }

    private static String checkLength(String value) {
        if (value.length() > MAX_VALUE_LENGTH) {
            throw new BadRequestException(Rejection.malformed("value_too_long", "a parameter value is longer than 256 characters"));
        }
        return value;
    }

    private static BadRequestException malformedJson(String reason) {
        return new BadRequestException(Rejection.malformed("bad_json", reason));
    }
}
