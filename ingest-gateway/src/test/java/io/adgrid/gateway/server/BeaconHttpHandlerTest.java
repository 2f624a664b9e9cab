package io.adgrid.gateway.server;

import static io.adgrid.gateway.TestCatalog.BANNER_7;
import static io.adgrid.gateway.TestCatalog.BANNER_8;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_2;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.sale;
import static io.adgrid.gateway.TestCatalog.signed;
import static io.adgrid.gateway.TestCatalog.with;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import io.adgrid.event.EventType;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.gateway.batching.GatedEventSink;
import io.adgrid.gateway.batching.InMemorySink;
import io.adgrid.gateway.batching.OverloadedException;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.port.GridEvent;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BeaconHttpHandlerTest {

    private static final long TS = NOW - 5_000;
    private static final byte[] GIF_HEADER = "GIF89a".getBytes(StandardCharsets.US_ASCII);
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final String JSON = "application/json";
    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private final InMemorySink sink = new InMemorySink();
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final BeaconService service = new BeaconService(
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults()),
            sink, ready::get, metrics);
    private final EmbeddedChannel channel = new EmbeddedChannel(new BeaconHttpHandler(service));

    @AfterEach
    void closeChannel() {
        assertThat(channel.finishAndReleaseAll()).as("messages left unread").isFalse();
    }

    // ---- impressions ---------------------------------------------------------------------------

    @Test
    void impressionIsAnsweredWithAnUncacheableOnePixelGif() {
        Answer a = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"))));

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("image/gif");
        assertThat(a.header(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-store");
        assertThat(a.header(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("43");
        assertThat(a.body()).hasSize(43).startsWith(GIF_HEADER);
        assertThat(a.body()[42]).isEqualTo((byte) 0x3b); // GIF trailer
        assertThat(sink.counted()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventType.IMPRESSION);
            assertThat(e.bannerId()).isEqualTo(7);
            assertThat(e.publisherId()).isEqualTo(3);
        });
    }

    /**
     * Issue 18, seed 12: a gateway stopping (SIGTERM) answered 500 to requests still arriving on open
     * keep-alive connections once its catalog had closed. From the stop on, every request gets a 503
     * with Retry-After that closes the connection, and nothing is counted.
     */
    @Test
    void aStoppingGatewayAnswers503AndClosesTheConnectionNever500() {
        service.stopTaking();
        Answer a = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "late"))));

        assertThat(a.status()).isEqualTo(503);
        assertThat(a.header(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
        assertThat(a.header(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("\"shutting_down\"");
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void replayedImpressionGetsTheSamePixelAndIsCountedOnce() {
        FullHttpRequest first = get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "abc")));
        FullHttpRequest replay = first.copy();

        Answer a = exchange(first);
        Answer b = exchange(replay);

        assertThat(b.status()).isEqualTo(200).isEqualTo(a.status());
        assertThat(b.body()).isEqualTo(a.body()).hasSize(43);
        assertThat(b.header(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("image/gif");
        assertThat(sink.submitted()).hasSize(2);
        assertThat(sink.counted()).hasSize(1);
        assertThat(eventCount("impression", "accepted", "ok")).isEqualTo(1);
        assertThat(eventCount("impression", "duplicate", "ok")).isEqualTo(1);
    }

    @Test
    void pixelCanBeServedManyTimesWithoutDrainingTheSharedBuffer() {
        for (int i = 0; i < 5; i++) {
            Answer a = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "n" + i))));
            assertThat(a.body()).as("answer %d", i).hasSize(43).startsWith(GIF_HEADER);
        }
        assertThat(sink.counted()).hasSize(5);
    }

    @Test
    void tamperedImpressionIsForbiddenAndNotCounted() {
        Map<String, String> params = with(signed(CAMPAIGN_1, beacon(7, 3, TS, "abc")), "p", "4");

        Answer a = exchange(get("/i", params));

        assertThat(a.status()).isEqualTo(403);
        assertThat(a.json()).containsEntry("error", "bad_signature").containsEntry("status", 403L);
        assertThat(a.header(HttpHeaderNames.CONTENT_TYPE)).startsWith("application/json");
        assertThat(sink.submitted()).isEmpty();
        assertThat(eventCount("impression", "rejected", "bad_signature")).isEqualTo(1);
    }

    @Test
    void badPercentEncodingIsABadRequest() {
        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/i?b=%zz&p=3"));

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json()).containsEntry("error", "bad_encoding");
    }

    @Test
    void repeatedParameterIsABadRequest() {
        Map<String, String> params = signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"));
        String uri = uri("/i", params) + "&b=7";

        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json()).containsEntry("error", "repeated_parameter");
        assertThat(sink.submitted()).isEmpty();
    }

    // ---- clicks --------------------------------------------------------------------------------

    @Test
    void clickRedirectsToTheBannersLandingUrlWithTheClicksIdAndNothingElse() {
        Map<String, String> click = signed(EventType.CLICK, CAMPAIGN_2, beacon(8, 4, TS, "abc"));
        Answer a = exchange(get("/c", click));

        assertThat(a.status()).isEqualTo(302);
        // the registered URL keeps its own query; the id goes after it
        assertThat(a.header(HttpHeaderNames.LOCATION)).isEqualTo(TestCatalog.landingOf(BANNER_8, CAMPAIGN_2, "0", click))
                .startsWith(BANNER_8.landingUrl() + "&agclid=");
        String id = a.header(HttpHeaderNames.LOCATION).substring((BANNER_8.landingUrl() + "&agclid=").length());
        assertThat(io.adgrid.attribution.ClickId.read(id, (c, kid) -> CAMPAIGN_2.key(kid).spec()))
                .isEqualTo(new io.adgrid.attribution.ClickId.Click(2, "0", 8, 4, TS));
        assertThat(a.header(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-store");
        assertThat(a.body()).isEmpty();
        assertThat(sink.counted()).singleElement().satisfies(e -> assertThat(e.type()).isEqualTo(EventType.CLICK));
    }

    /** Campaign 5 names its own parameter ({@code ref}): its clicks' ids go there, other campaigns' stay in agclid. */
    @Test
    void aCampaignsOwnClickParameterCarriesTheIdOfItsClicks() {
        Map<String, String> click = signed(EventType.CLICK, TestCatalog.CAMPAIGN_5_OWN_ATTRIBUTION, beacon(50, 4, TS, "abc"));
        Answer a = exchange(get("/c", click));

        assertThat(a.status()).isEqualTo(302);
        assertThat(a.header(HttpHeaderNames.LOCATION))
                .isEqualTo(TestCatalog.landingOf(TestCatalog.BANNER_50, TestCatalog.CAMPAIGN_5_OWN_ATTRIBUTION, "0", click, "ref"))
                .startsWith("https://example.com/landing/50?ref=")
                .doesNotContain("agclid");
        Answer other = exchange(get("/c", signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "abc"))));
        assertThat(other.header(HttpHeaderNames.LOCATION)).startsWith(BANNER_7.landingUrl() + "?agclid=");
    }

    @Test
    void replayedClickRedirectsAgainWithTheSameIdAndIsCountedOnce() {
        Map<String, String> click = signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "abc"));
        FullHttpRequest first = get("/c", click);
        FullHttpRequest replay = first.copy();

        Answer a = exchange(first);
        Answer b = exchange(replay);

        assertThat(a.status()).isEqualTo(302);
        assertThat(b.status()).isEqualTo(302);
        assertThat(b.header(HttpHeaderNames.LOCATION)).isEqualTo(a.header(HttpHeaderNames.LOCATION))
                .isEqualTo(TestCatalog.landingOf(BANNER_7, CAMPAIGN_1, "0", click));
        assertThat(sink.counted()).hasSize(1);
    }

    @Test
    void impressionAndClickOfOneRenderingAreDifferentEvents() {
        exchange(get("/i", signed(EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, "abc"))));
        exchange(get("/c", signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "abc"))));

        assertThat(sink.counted()).extracting(GridEvent::type).containsExactly(EventType.IMPRESSION, EventType.CLICK);
    }

    @Test
    void anImpressionUrlSentToTheClickPathIsRefusedAsABadSignature() {
        Map<String, String> params = signed(EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, "abc"));

        Answer a = exchange(get("/c", params));

        assertThat(a.status()).isEqualTo(403);
        assertThat(a.json()).containsEntry("error", "bad_signature");
        assertThat(a.header(HttpHeaderNames.LOCATION)).isNull();
        assertThat(sink.counted()).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "u|https://evil.example/",
        "url|https://evil.example/",
        "url|",
        "redirect|https://evil.example/"
    })
    void clickCarryingARedirectTargetIsABadRequestAndNeverRedirects(String name, String value) {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.put(name, value == null ? "" : value);

        Answer a = exchange(get("/c", signed(CAMPAIGN_1, params)));

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.header(HttpHeaderNames.LOCATION)).isNull();
        // u is the signed user id of unique reach (issue 21): a URL is no user id
        assertThat(a.json()).containsEntry("error", name.equals("u") ? "bad_user" : "unknown_parameter");
        assertThat(a.text()).doesNotContain("evil");
        assertThat(sink.submitted()).isEmpty();
    }

    // ---- sales ---------------------------------------------------------------------------------

    @Test
    void saleFormIsAcceptedAndTheSameOrderAgainIsADuplicate() {
        Answer first = exchange(post("/s", FORM, form(signed(CAMPAIGN_1, sale(7, 3, "order-1", "12.50", TS)))));
        // Another rendering of the same order: other ts, so another signature.
        Answer second = exchange(post("/s", FORM, form(signed(CAMPAIGN_1, sale(7, 3, "order-1", "12.50", TS + 1)))));

        assertThat(first.status()).isEqualTo(202);
        assertThat(first.json()).containsEntry("duplicate", false);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json()).containsEntry("duplicate", true);
        assertThat(sink.counted()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventType.SALE);
            assertThat(e.orderId()).isEqualTo("order-1");
            assertThat(e.amountMicros()).isEqualTo(12_500_000L);
        });
    }

    @Test
    void aSalePostedByTheIdAClicksLandingPageGotCountsForThatClicksBannerAndPublisherOnce() {
        Answer click = exchange(get("/c", signed(EventType.CLICK, CAMPAIGN_2, beacon(8, 4, TS, "abc"))));
        String id = click.header(HttpHeaderNames.LOCATION).replaceAll(".*[?&]agclid=", "");
        Map<String, String> postback = new java.util.LinkedHashMap<>(Map.of("click", id, "order", "o-9", "amount", "30", "ts", Long.toString(TS)));

        Answer first = exchange(post("/s", FORM, form(signed(EventType.SALE, CAMPAIGN_2, postback))));
        Answer again = exchange(post("/s", JSON, "{\"click\":\"" + id + "\",\"order\":\"o-9\",\"amount\":\"30\",\"ts\":" + TS
                + ",\"sig\":\"" + signed(EventType.SALE, CAMPAIGN_2, postback).get("sig") + "\"}"));
        Answer forged = exchange(post("/s", FORM, form(signed(EventType.SALE, CAMPAIGN_2, with(postback, "click", id.substring(0, id.length() - 2) + "AA")))));

        assertThat(first.status()).as(first.json().toString()).isEqualTo(202);
        assertThat(again.status()).as(again.json().toString()).isEqualTo(200);
        assertThat(again.json()).containsEntry("duplicate", true);
        assertThat(forged.status()).isEqualTo(404);
        assertThat(forged.json()).containsEntry("error", "unknown_click");
        assertThat(sink.counted()).filteredOn(e -> e.type() == EventType.SALE).singleElement().satisfies(e -> {
            assertThat(e.campaignId()).isEqualTo(2);
            assertThat(e.bannerId()).isEqualTo(8);
            assertThat(e.publisherId()).isEqualTo(4);
            assertThat(e.amountMicros()).isEqualTo(30_000_000L);
        });
    }

    @Test
    void sameOrderOfAnotherCampaignIsAnotherSale() {
        exchange(post("/s", FORM, form(signed(CAMPAIGN_1, sale(7, 3, "order-1", "1", TS)))));
        Answer other = exchange(post("/s", FORM, form(signed(CAMPAIGN_2, sale(8, 3, "order-1", "1", TS)))));

        assertThat(other.status()).isEqualTo(202);
        assertThat(sink.counted()).hasSize(2);
    }

    @Test
    void saleJsonIsAcceptedWithNumbersAsWritten() {
        Map<String, String> params = signed(CAMPAIGN_1, sale(7, 3, "order-2", "12.50", TS));
        String body = json(params, Set.of("b", "p", "amount", "ts"));
        assertThat(body).contains("\"amount\":12.50");

        Answer a = exchange(post("/s", JSON, body));

        assertThat(a.status()).isEqualTo(202);
        assertThat(a.json()).containsEntry("duplicate", false);
        assertThat(sink.counted()).singleElement().satisfies(e -> assertThat(e.amountMicros()).isEqualTo(12_500_000L));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"application/json; charset=utf-8", "application/json;charset=UTF-8"})
    void saleJsonWithCharsetIsAccepted(String contentType) {
        Answer a = exchange(post("/s", contentType, json(signed(CAMPAIGN_1, sale(7, 3, "o-3", "1", TS)), Set.of())));

        assertThat(a.status()).isEqualTo(202);
    }

    @Test
    void saleFormWithCharsetIsAccepted() {
        Answer a = exchange(post("/s", FORM + "; charset=UTF-8", form(signed(CAMPAIGN_1, sale(7, 3, "o-4", "1", TS)))));

        assertThat(a.status()).isEqualTo(202);
    }

    @Test
    void saleWithParametersInTheQueryAndAnEmptyBodyIsAccepted() {
        Answer a = exchange(post(uri("/s", signed(CAMPAIGN_1, sale(7, 3, "o-5", "3.99", TS))), null, ""));

        assertThat(a.status()).isEqualTo(202);
        assertThat(sink.counted()).singleElement().satisfies(e -> assertThat(e.amountMicros()).isEqualTo(3_990_000L));
    }

    @Test
    void saleWithParametersInBodyAndQueryIsABadRequest() {
        Map<String, String> params = signed(CAMPAIGN_1, sale(7, 3, "o-6", "1", TS));

        Answer a = exchange(post(uri("/s", params), FORM, form(params)));

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json()).containsEntry("error", "ambiguous_parameters");
        assertThat(sink.submitted()).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] <{0}>")
    @ValueSource(strings = {"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/octet-stream", ""})
    void saleWithUnsupportedContentTypeIsRefused(String contentType) {
        Answer a = exchange(post("/s", contentType.isEmpty() ? null : contentType,
                form(signed(CAMPAIGN_1, sale(7, 3, "o-7", "1", TS)))));

        assertThat(a.status()).isEqualTo(415);
        assertThat(a.json()).containsEntry("error", "unsupported_media_type");
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void saleWithNegativeAmountIsUnprocessableAndNotCounted() {
        Answer a = exchange(post("/s", FORM, form(signed(CAMPAIGN_1, sale(7, 3, "o-8", "-1.00", TS)))));

        assertThat(a.status()).isEqualTo(422);
        assertThat(a.json()).containsEntry("error", "negative_amount");
        assertThat(sink.submitted()).isEmpty();
    }

    @Test
    void saleWithMalformedJsonIsABadRequest() {
        Answer a = exchange(post("/s", JSON, "{\"b\":7,"));

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json()).containsEntry("error", "bad_json");
    }

    // ---- /events (NDJSON) ----------------------------------------------------------------------

    @Test
    void eventsCountsAcceptedDuplicateAndRejectedLinesWithTheirLineNumbers() {
        Map<String, String> impression = signed(CAMPAIGN_1, beacon(7, 3, TS, "e1"));
        Map<String, String> click = signed(EventType.CLICK, CAMPAIGN_2, beacon(8, 4, TS, "e2"));
        Map<String, String> sale = signed(CAMPAIGN_1, sale(7, 3, "order-9", "12.50", TS));
        String body = String.join("\n",
                typed("impression", impression, Set.of("b", "p", "ts")),           // 1 accepted
                "",                                                               // 2 blank: skipped
                typed("i", impression, Set.of()),                                 // 3 duplicate of 1
                typed("click", with(click, "p", "3"), Set.of()),                  // 4 tampered: 403
                "this is not json {",                                             // 5 garbage: 400
                typed("c", click, Set.of()),                                      // 6 accepted
                typed("view", impression, Set.of()),                              // 7 bad type: 400
                typed("sale", sale, Set.of("amount")) + "\r",                     // 8 accepted (CRLF)
                typed("i", signed(CAMPAIGN_1, beacon(999, 3, TS, "e3")), Set.of()) // 9 unknown banner: 404
        ) + "\n";

        Answer a = exchange(post("/events", "application/x-ndjson", body));

        assertThat(a.status()).isEqualTo(200);
        Map<String, Object> json = a.json();
        assertThat(json).containsEntry("accepted", 4L).containsEntry("duplicates", 1L).containsEntry("rejected", 4L);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> errors = (List<Map<String, Object>>) json.get("errors");
        assertThat(errors).extracting(e -> e.get("line")).containsExactly(4L, 5L, 7L, 9L);
        assertThat(errors).extracting(e -> e.get("status")).containsExactly(403L, 400L, 400L, 404L);
        assertThat(errors).extracting(e -> e.get("error"))
                .containsExactly("bad_signature", "bad_json", "bad_type", "unknown_banner");
        assertThat(errors).allSatisfy(e -> assertThat(e.get("reason")).asString().isNotBlank());
        assertThat(sink.counted()).extracting(GridEvent::type)
                .containsExactly(EventType.IMPRESSION, EventType.CLICK, EventType.SALE);
        assertThat(sink.counted().get(2).amountMicros()).isEqualTo(12_500_000L);
    }

    @ParameterizedTest(name = "final newline: {0}")
    @ValueSource(booleans = {true, false})
    void eventsWithMoreThanTheLineLimitIsRefusedWholeAndNothingIsCounted(boolean finalNewline) {
        String body = ndjsonImpressions(BeaconService.MAX_NDJSON_LINES + 1, finalNewline);

        Answer a = exchange(post("/events", "application/x-ndjson", body));

        assertThat(a.status()).isEqualTo(413);
        assertThat(a.json()).containsEntry("error", "too_many_lines");
        // A 4xx promises nothing was counted: the client will split the request and send it again.
        assertThat(sink.submitted()).isEmpty();
    }

    @ParameterizedTest(name = "final newline: {0}")
    @ValueSource(booleans = {true, false})
    void eventsWithExactlyTheLineLimitIsAccepted(boolean finalNewline) {
        String body = ndjsonImpressions(BeaconService.MAX_NDJSON_LINES, finalNewline);

        Answer a = exchange(post("/events", "application/x-ndjson", body));

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json()).containsEntry("accepted", (long) BeaconService.MAX_NDJSON_LINES).containsEntry("rejected", 0L);
        assertThat(sink.counted()).hasSize(BeaconService.MAX_NDJSON_LINES);
    }

    @Test
    void emptyEventsBodyCountsNothing() {
        Answer a = exchange(post("/events", "application/x-ndjson", ""));

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json()).containsEntry("accepted", 0L).containsEntry("rejected", 0L);
    }

    @Test
    void eventsLinesTheSinkCannotTakeAreReportedAsRetryable() {
        sink.failWith(new OverloadedException("full"));
        String body = typed("i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a")), Set.of()) + "\n"
                + typed("i", with(signed(CAMPAIGN_1, beacon(7, 3, TS, "b")), "p", "4"), Set.of()) + "\n";

        Answer a = exchange(post("/events", "application/x-ndjson", body));

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json()).containsEntry("accepted", 0L).containsEntry("rejected", 2L);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> errors = (List<Map<String, Object>>) a.json().get("errors");
        assertThat(errors).extracting(e -> e.get("line")).containsExactly(1L, 2L);
        assertThat(errors).extracting(e -> e.get("status")).containsExactly(503L, 403L);
        assertThat(eventCount("impression", "rejected", "overloaded")).isEqualTo(1);
        assertThat(eventCount("impression", "rejected", "bad_signature")).isEqualTo(1);
    }

    // ---- routing ---------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1} -> Allow: {2}")
    @CsvSource({
        "POST, /i, GET",
        "PUT, /i, GET",
        "HEAD, /c, GET",
        "POST, /c, GET",
        "GET, /s, POST",
        "DELETE, /s, POST",
        "GET, /events, POST"
    })
    void wrongMethodIsNotAllowedAndSaysWhichIs(String method, String path, String allow) {
        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path));

        assertThat(a.status()).isEqualTo(405);
        assertThat(a.header(HttpHeaderNames.ALLOW)).isEqualTo(allow);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/", "/x", "/i/", "/I", "/impression", "/events/", "/healthz/x", "/s/1?b=7"})
    void unknownPathIsNotFound(String uri) {
        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));

        assertThat(a.status()).isEqualTo(404);
        assertThat(a.json()).containsEntry("error", "not_found");
    }

    // ---- overload --------------------------------------------------------------------------------

    @Test
    void overloadedSinkIsAnsweredServiceUnavailableWithRetryAfter() {
        sink.failWith(new OverloadedException("too many events waiting for the grid"));

        Answer i = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a"))));
        Answer c = exchange(get("/c", signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "b"))));
        Answer s = exchange(post("/s", FORM, form(signed(CAMPAIGN_1, sale(7, 3, "o-1", "1", TS)))));

        for (Answer a : List.of(i, c, s)) {
            assertThat(a.status()).isEqualTo(503);
            assertThat(a.header(HttpHeaderNames.RETRY_AFTER)).isNotBlank();
            assertThat(a.header(HttpHeaderNames.LOCATION)).isNull();
            assertThat(a.json()).containsEntry("error", "overloaded");
        }
        assertThat(sink.counted()).isEmpty();
    }

    @Test
    void aGridReplayingTheJournalsOfItsPreviousLifeIsAnsweredServiceUnavailableWithRetryAfter() {
        sink.failWith(new GatedEventSink.GridRecoveringException());

        Answer i = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a"))));

        assertThat(i.status()).isEqualTo(503);
        assertThat(i.header(HttpHeaderNames.RETRY_AFTER)).isNotBlank();
        assertThat(i.json()).containsEntry("error", "recovering");
        assertThat(sink.counted()).isEmpty();
    }

    @Test
    void unreachableGridIsAlsoAnsweredServiceUnavailableWithRetryAfter() {
        sink.failWith(new IllegalStateException("no partition owner"));

        Answer a = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a"))));

        assertThat(a.status()).isEqualTo(503);
        assertThat(a.header(HttpHeaderNames.RETRY_AFTER)).isNotBlank();
        assertThat(a.text()).doesNotContain("no partition owner");
    }

    @Test
    void badInputIsStillAnsweredFourHundredWhileOverloaded() {
        sink.failWith(new OverloadedException("full"));

        Answer a = exchange(get("/i", with(signed(CAMPAIGN_1, beacon(7, 3, TS, "a")), "p", "4")));

        assertThat(a.status()).isEqualTo(403);
    }

    // ---- pipelining ------------------------------------------------------------------------------

    @Test
    void pipelinedAnswersGoOutInRequestOrder() {
        sink.holdAnswers();
        channel.writeInbound(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "first"))));
        channel.writeInbound(get("/c", signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, "second"))));
        channel.runPendingTasks();
        assertThat(sink.heldCount()).isEqualTo(2);
        assertThat((Object) channel.readOutbound()).isNull();

        sink.release(1); // the second request's event is confirmed first
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound()).as("second answer must wait for the first").isNull();

        sink.release(0);
        channel.runPendingTasks();
        Answer first = next();
        Answer second = next();
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("image/gif");
        assertThat(second.status()).isEqualTo(302);
        assertThat(second.header(HttpHeaderNames.LOCATION)).startsWith(BANNER_7.landingUrl() + "?agclid=");
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void clientPipeliningWithoutReadingAnswersIsNotReadUntilItCatchesUp() {
        sink.holdAnswers();
        for (int i = 0; i < BeaconHttpHandler.MAX_UNANSWERED; i++) {
            assertThat(channel.config().isAutoRead()).as("still reading before request %d", i).isTrue();
            channel.writeInbound(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "pipe-" + i))));
        }
        assertThat(channel.config().isAutoRead()).isFalse();

        sink.releaseAll();
        channel.runPendingTasks();
        assertThat(channel.config().isAutoRead()).isTrue();
        for (int i = 0; i < BeaconHttpHandler.MAX_UNANSWERED; i++) {
            assertThat(next().status()).isEqualTo(200);
        }
        assertThat(sink.counted()).hasSize(BeaconHttpHandler.MAX_UNANSWERED);
    }

    @Test
    void immediateRejectionWaitsBehindAnEarlierAnswer() {
        sink.holdAnswers();
        channel.writeInbound(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "first"))));
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/nowhere"));
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound()).isNull();

        sink.releaseAll();
        channel.runPendingTasks();

        assertThat(next().status()).isEqualTo(200);
        assertThat(next().status()).isEqualTo(404);
    }

    // ---- health and connection -------------------------------------------------------------------

    @Test
    void healthIsUpWhenReady() {
        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/healthz"));

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json()).containsEntry("status", "UP");
    }

    @Test
    void healthIsServiceUnavailableWhenNotReady() {
        ready.set(false);

        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/healthz"));

        assertThat(a.status()).isEqualTo(503);
        assertThat(a.json()).containsEntry("status", "DOWN");
    }

    @Test
    void keepAliveConnectionStaysOpen() {
        Answer a = exchange(get("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a"))));

        assertThat(a.header(HttpHeaderNames.CONNECTION)).isEqualToIgnoringCase("keep-alive");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void connectionWithoutKeepAliveIsClosedAfterTheAnswer() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET,
                uri("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a"))));

        Answer a = exchange(request);

        assertThat(a.status()).isEqualTo(200);
        // said in the answer, or a client reusing the connection loses its next request (found by HostileInputIT)
        assertThat(a.header(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void undecodableRequestIsABadRequest() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/i");
        request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("garbage")));

        Answer a = exchange(request);

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json()).containsEntry("error", "bad_http");
    }

    @Test
    void undecodableRequestClosesTheConnectionWithItsAnswer() {
        // Netty's decoder discards everything after a request it could not read: an answer kept
        // alive would leave the client waiting for answers that never come.
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/i");
        request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("garbage")));

        Answer a = exchange(request);

        assertThat(a.header(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(eventCount("impression", "rejected", "bad_http")).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "too long line, 414, uri_too_long, false",
        "too long header, 431, headers_too_large, false",
        "too long body, 413, body_too_large, true"
    })
    void oversizedRequestIsAnsweredWithItsStatusAndCountedByReason(String what, int status, String reason, boolean staysOpen) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/s");
        request.setDecoderResult(DecoderResult.failure(switch (status) {
            case 414 -> new TooLongHttpLineException(what);
            case 431 -> new TooLongHttpHeaderException(what);
            default -> new TooLongHttpContentException(what);
        }));

        Answer a = exchange(request);

        assertThat(a.status()).isEqualTo(status);
        assertThat(a.json()).containsEntry("error", reason).containsEntry("status", (long) status);
        assertThat(eventCount("sale", "rejected", reason)).isEqualTo(1);
        // a body over its limit is discarded to its end by the aggregator, so the connection is usable
        assertThat(channel.isOpen()).isEqualTo(staysOpen);
        assertThat(sink.submitted()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/9.9", "HTTP/2.0", "HTTP/0.9"})
    void unsupportedHttpVersionIsABadRequestAndNotCounted(String version) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.valueOf(version), HttpMethod.GET,
                uri("/i", signed(CAMPAIGN_1, beacon(7, 3, TS, "a"))));

        Answer a = exchange(request);

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json()).containsEntry("error", "bad_http");
        assertThat(sink.submitted()).isEmpty();
        assertThat(eventCount("impression", "rejected", "bad_http")).isEqualTo(1);
    }

    @Test
    void unknownPathAndWrongMethodAreCountedByReason() {
        exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/admin"));
        exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.DELETE, "/c?b=7"));
        exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/events"));

        assertThat(eventCount("unknown", "rejected", "not_found")).isEqualTo(1);
        assertThat(eventCount("click", "rejected", "method_not_allowed")).isEqualTo(1);
        assertThat(eventCount("unknown", "rejected", "method_not_allowed")).isEqualTo(1);
    }

    @Test
    void tooManyNdjsonLinesAreCounted() {
        exchange(post("/events", "application/x-ndjson", ndjsonImpressions(BeaconService.MAX_NDJSON_LINES + 1, false)));

        assertThat(eventCount("unknown", "rejected", "too_many_lines")).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"POST", "PUT", "DELETE"})
    void healthAnswersOnlyGetAndHead(String method) {
        Answer a = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), "/healthz"));

        assertThat(a.status()).isEqualTo(405);
        assertThat(a.header(HttpHeaderNames.ALLOW)).isEqualTo("GET, HEAD");
    }

    @Test
    void tooLongRequestLineIsUriTooLong() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request");
        request.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException("too long")));

        Answer a = exchange(request);

        assertThat(a.status()).isEqualTo(414);
        assertThat(channel.isOpen()).isFalse();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** A response copied out of Netty's buffers (which are released at once). */
    private record Answer(int status, HttpHeaders headers, byte[] body) {

        String header(CharSequence name) {
            return headers.get(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> json() {
            assertThat(header(HttpHeaderNames.CONTENT_TYPE)).startsWith("application/json");
            return (Map<String, Object>) parseJson(body);
        }
    }

    private Answer exchange(FullHttpRequest request) {
        channel.writeInbound(request);
        channel.runPendingTasks();
        Answer a = next();
        assertThat((Object) channel.readOutbound()).as("exactly one answer per request").isNull();
        return a;
    }

    private Answer next() {
        FullHttpResponse r = channel.readOutbound();
        assertThat(r).as("an answer was written").isNotNull();
        try {
            return new Answer(r.status().code(), r.headers().copy(), ByteBufUtil.getBytes(r.content()));
        } finally {
            r.release();
        }
    }

    private double eventCount(String type, String outcome, String reason) {
        Counter c = metrics.find("adgrid.gateway.events").tag("type", type).tag("outcome", outcome).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static FullHttpRequest get(String path, Map<String, String> params) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri(path, params));
    }

    private static FullHttpRequest post(String uri, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (contentType != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        return r;
    }

    private static String uri(String path, Map<String, String> params) {
        return path + "?" + form(params);
    }

    private static String form(Map<String, String> params) {
        return params.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** {@code count} distinct signed impressions, one per line. */
    private static String ndjsonImpressions(int count, boolean finalNewline) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                body.append('\n');
            }
            body.append(typed("i", signed(CAMPAIGN_1, beacon(7, 3, TS, "n" + i)), Set.of()));
        }
        return finalNewline ? body.append('\n').toString() : body.toString();
    }

    /** One NDJSON line: the signed parameters plus {@code type} (which the signature does not cover). */
    private static String typed(String type, Map<String, String> params, Set<String> asNumbers) {
        Map<String, String> withType = new LinkedHashMap<>();
        withType.put("type", type);
        withType.putAll(params);
        return json(withType, asNumbers);
    }

    /** A flat JSON object; names in {@code asNumbers} are written as bare numbers, exactly as given. */
    private static String json(Map<String, String> params, Set<String> asNumbers) {
        return params.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":" + (asNumbers.contains(e.getKey()) ? e.getValue() : "\"" + e.getValue() + "\""))
                .collect(Collectors.joining(",", "{", "}"));
    }

    private static Object parseJson(byte[] bytes) {
        try (JsonParser p = JSON_FACTORY.createParser(bytes)) {
            p.nextToken();
            Object value = readValue(p);
            assertThat(p.nextToken()).isNull();
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object readValue(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, readValue(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(readValue(p));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IllegalStateException("unexpected " + t);
        }
    }
}
