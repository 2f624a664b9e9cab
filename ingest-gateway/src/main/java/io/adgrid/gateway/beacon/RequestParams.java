package io.adgrid.gateway.beacon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
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

    /** Parameters of a query string or an {@code application/x-www-form-urlencoded} body. */
    static Map<String, String> fromQuery(String query, boolean hasPath) {
        Map<String, List<String>> decoded;
        try {
            // Decoding stops one parameter past the limit: a query of thousands is not decoded whole.
            decoded = new QueryStringDecoder(query, StandardCharsets.UTF_8, hasPath, MAX_PARAMS + 1).parameters();
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(Rejection.malformed("bad_encoding", "malformed percent-encoding"));
        }
        if (decoded.size() > MAX_PARAMS) {
            throw new BadRequestException(Rejection.malformed("too_many_parameters", "too many parameters"));
        }
        Map<String, String> params = new HashMap<>(decoded.size() * 2);
        for (Map.Entry<String, List<String>> e : decoded.entrySet()) {
            if (e.getValue().size() != 1) {
                throw new BadRequestException(Rejection.malformed("repeated_parameter", "a parameter is given more than once"));
            }
            params.put(e.getKey(), checkLength(e.getValue().get(0)));
        }
        return params;
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
