package io.adgrid.gateway.beacon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.adgrid.gateway.validation.Rejection;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/** The gateway's responses. The pixel is one preallocated buffer shared by every answer. */
final class HttpAnswers {

    /** A transparent 1x1 GIF (43 bytes). */
    private static final byte[] GIF = {
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, (byte) 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x21, (byte) 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b
    };
    private static final ByteBuf PIXEL = Unpooled.unreleasableBuffer(Unpooled.directBuffer(GIF.length).writeBytes(GIF).asReadOnly());
    private static final JsonFactory JSON = new JsonFactory();
    private static final AsciiString IMAGE_GIF = AsciiString.cached("image/gif");
    private static final AsciiString GIF_LENGTH = AsciiString.cached(Integer.toString(GIF.length));

    private HttpAnswers() {
    }

    static FullHttpResponse pixel() {
        // The most frequent answer: constant headers, set without validation, encoded without conversion.
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, PIXEL.duplicate(),
                TRUSTED_HEADERS, DefaultHttpHeadersFactory.trailersFactory());
        r.headers().add(HttpHeaderNames.CONTENT_TYPE, IMAGE_GIF)
                .add(HttpHeaderNames.CONTENT_LENGTH, GIF_LENGTH)
                .add(HttpHeaderNames.CACHE_CONTROL, NO_STORE);
        return r;
    }

    static FullHttpResponse redirect(String location) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.LOCATION, location)
                .set(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return r;
    }

    static FullHttpResponse rejection(Rejection rejection) {
        return json(HttpResponseStatus.valueOf(rejection.status()), g -> {
            g.writeNumberField("status", rejection.status());
            g.writeStringField("error", rejection.code());
            g.writeStringField("reason", rejection.reason());
        });
    }

    /** The body of {@link #overloaded()}, built once: an overloaded gateway answers it most. */
    private static final byte[] OVERLOADED = "{\"status\":503,\"error\":\"overloaded\",\"reason\":\"gateway overloaded, retry later\"}"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final ByteBuf OVERLOADED_BODY = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(OVERLOADED.length).writeBytes(OVERLOADED).asReadOnly());

    /** Its headers: constants, set without validation (they are known good), encoded without conversion. */
    private static final HttpHeadersFactory TRUSTED_HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final AsciiString OVERLOADED_LENGTH = AsciiString.cached(Integer.toString(OVERLOADED.length));
    private static final AsciiString NO_STORE = AsciiString.cached("no-store");
    private static final AsciiString NOSNIFF_NAME = AsciiString.cached("x-content-type-options");
    private static final AsciiString NOSNIFF = AsciiString.cached("nosniff");
    private static final AsciiString ONE_SECOND = AsciiString.cached("1");

    /**
     * {@link #overloaded()} as its bytes on the wire, with {@code Connection: keep-alive} as the beacon
     * handler sends it, encoded once by Netty's own encoder: a refusal decided from a request's raw
     * bytes writes a duplicate of it (no response object, no encoding).
     */
    static final ByteBuf OVERLOADED_WIRE = encoded(overloaded());
    /** Answers of a pipelined burst refused at once go out as one buffer: this many copies at most. */
    static final int OVERLOADED_BURST = 32;
    private static final ByteBuf OVERLOADED_WIRES = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer().writeBytes(repeat(ByteBufUtil.getBytes(OVERLOADED_WIRE), OVERLOADED_BURST)).asReadOnly());

    private static byte[] repeat(byte[] one, int times) {
        byte[] all = new byte[one.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        return all;
    }

    /** {@code copies} (1 to {@link #OVERLOADED_BURST}) of {@link #OVERLOADED_WIRE} back to back, as one read-only buffer. */
    static ByteBuf overloadedWires(int copies) {
        return OVERLOADED_WIRES.slice(0, copies * OVERLOADED_WIRE.readableBytes());
    }

    private static ByteBuf encoded(FullHttpResponse response) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        EmbeddedChannel encoder = new EmbeddedChannel(new HttpResponseEncoder());
        encoder.writeOutbound(response);
        ByteBuf wire = Unpooled.directBuffer();
        for (ByteBuf part; (part = encoder.readOutbound()) != null; ) {
            wire.writeBytes(part);
            part.release();
        }
        encoder.finishAndReleaseAll();
        return Unpooled.unreleasableBuffer(wire.asReadOnly());
    }

    /** 503 with Retry-After: 1, reason "gateway overloaded, retry later". */
    static FullHttpResponse overloaded() {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SERVICE_UNAVAILABLE,
                OVERLOADED_BODY.duplicate(), TRUSTED_HEADERS, DefaultHttpHeadersFactory.trailersFactory());
        r.headers().add(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .add(HttpHeaderNames.CONTENT_LENGTH, OVERLOADED_LENGTH)
                .add(HttpHeaderNames.CACHE_CONTROL, NO_STORE)
                .add(NOSNIFF_NAME, NOSNIFF)
                .add(HttpHeaderNames.RETRY_AFTER, ONE_SECOND);
        return r;
    }

    /** 503 with Retry-After; {@code error} says why: "overloaded", or "recovering" while the grid replays its journals. */
    static FullHttpResponse retryLater(String error, String reason) {
        FullHttpResponse r = json(HttpResponseStatus.SERVICE_UNAVAILABLE, g -> {
            g.writeNumberField("status", 503);
            g.writeStringField("error", error);
            g.writeStringField("reason", reason);
        });
        r.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
        return r;
    }

    /** 503 with Retry-After that closes the connection: the gateway is stopping; another one (or this one, started again) takes it. */
    static FullHttpResponse shuttingDown() {
        FullHttpResponse r = retryLater("shutting_down", "this gateway is stopping; send it again");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    static FullHttpResponse methodNotAllowed(String allow) {
        FullHttpResponse r = json(HttpResponseStatus.METHOD_NOT_ALLOWED, g -> {
            g.writeNumberField("status", 405);
            g.writeStringField("error", "method_not_allowed");
            g.writeStringField("reason", "use " + allow);
        });
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        return r;
    }

    interface JsonBody {
        void write(JsonGenerator g) throws IOException;
    }

    static FullHttpResponse json(HttpResponseStatus status, JsonBody body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = out.toByteArray();
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff");
        return r;
    }

}
