package io.adgrid.reporting.web;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Reads {@link JsonBody} records, ahead of Spring's lenient JSON converter: at most
 * {@link #MAX_BODY_BYTES} (413), UTF-8, one JSON object without repeated fields or trailing data,
 * only the record's fields, each of its JSON type (no {@code 42} for a string, no {@code "42"} or
 * {@code 1.5} for an integer). Refusals are {@link RequestRefusedException}s answered by
 * {@link ApiErrors}; they name a field or a position, never a value, so a secret in a malformed
 * body is never echoed. A blank body is no body: Spring refuses it where the body is required.
 * A form body ({@code curl -d} without a JSON Content-Type) is refused with a hint; any other
 * Content-Type, or none, is read as JSON, as the admin API always did.
 */
public class StrictJsonBodies implements WebMvcConfigurer {

    /** Largest request body read; the largest valid one (a 2 KiB URL, a 1 KiB secret) is far below. */
    public static final int MAX_BODY_BYTES = 16 * 1024;
    /** The refusal of a body that is not there or not JSON, with the hint curl users need. */
    public static final String NOT_JSON = "the body must be a JSON object (Content-Type: application/json)";
    private static final JsonMapper JSON = strictMapper();

    @Override
    public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
        converters.add(0, new Reader());
    }

    private static JsonMapper strictMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** Reads the body of a {@link JsonBody} record; writes nothing. */
    private static final class Reader implements HttpMessageConverter<Object> {

        @Override
        public boolean canRead(Class<?> clazz, MediaType mediaType) {
            return JsonBody.class.isAssignableFrom(clazz);
        }

        @Override
        public boolean canWrite(Class<?> clazz, MediaType mediaType) {
            return false;
        }

        @Override
        public List<MediaType> getSupportedMediaTypes() {
            return List.of(MediaType.APPLICATION_JSON);
        }

        @Override
        public Object read(Class<?> clazz, HttpInputMessage input) throws IOException {
            MediaType type = input.getHeaders().getContentType();
            if (type != null && MediaType.APPLICATION_FORM_URLENCODED.includes(type)) {
                throw new RequestRefusedException(NOT_JSON); // Spring hands a form's parameters re-encoded, not its bytes
            }
            byte[] bytes = bounded(input);
            return isBlank(bytes) ? null : bind(parse(utf8(bytes)), clazz);
        }

        @Override
        public void write(Object o, MediaType contentType, HttpOutputMessage output) {
            throw new UnsupportedOperationException("reads request bodies only");
        }
    }

    private static byte[] bounded(HttpInputMessage input) throws IOException {
        if (input.getHeaders().getContentLength() > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        try (InputStream in = input.getBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            return bytes;
        }
    }

    private static RequestRefusedException tooLarge() {
        return new RequestRefusedException(HttpStatus.PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than " + MAX_BODY_BYTES + " bytes");
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new RequestRefusedException("the body is not UTF-8");
        }
    }

    /** The syntax first (a repeated field, trailing data), so that a bad body is reported as such and not as a bad field. */
    private static JsonNode parse(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending token, which may be (part of) a secret: position only.
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new RequestRefusedException("the body is not valid JSON" + where);
        }
        if (node == null || !node.isObject()) {
            throw new RequestRefusedException("the body must be a JSON object");
        }
        return node;
    }

    private static Object bind(JsonNode node, Class<?> type) {
        try {
            return JSON.treeToValue(node, type);
        } catch (UnrecognizedPropertyException e) {
            throw new RequestRefusedException("unknown field; the fields are "
                    + String.join(", ", e.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList()));
        } catch (JsonMappingException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().get(0).getFieldName();
            throw new RequestRefusedException(field == null ? "the body must be a JSON object" : field + " must be " + expected(type, field));
        } catch (JsonProcessingException e) {
            throw new RequestRefusedException("the body must be a JSON object");
        }
    }

    /** What a field of {@code type} named {@code json} in JSON must be: its {@link JsonBody.Expected}, else said by its Java type. */
    private static String expected(Class<?> type, String json) {
        for (Field f : type.getDeclaredFields()) {
            if (json.equals(jsonName(f))) {
                JsonBody.Expected expected = f.getAnnotation(JsonBody.Expected.class);
                if (expected != null) {
                    return expected.value();
                }
                Class<?> t = f.getType();
                return t == String.class ? "a string" : t == Long.class || t == long.class || t == BigInteger.class ? "an integer" : "of another type";
            }
        }
        return "of another type";
    }

    private static String jsonName(Field f) {
        JsonProperty p = f.getAnnotation(JsonProperty.class);
        return p != null && !p.value().isEmpty() ? p.value() : f.getName();
    }
}
