package io.adgrid.gateway.beacon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import io.adgrid.gateway.validation.Rejection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestParamsTest {

    // ---- query strings and form bodies -------------------------------------------------------

    @Test
    void queryOfAUriIsDecodedIntoOneValuePerName() {
        Map<String, String> params = RequestParams.fromQuery("/i?b=7&p=3&ts=1700000000000&n=abc&sig=xyz", true);

        assertThat(params).containsExactlyInAnyOrderEntriesOf(
                Map.of("b", "7", "p", "3", "ts", "1700000000000", "n", "abc", "sig", "xyz"));
    }

    @Test
    void formBodyIsDecodedWithoutAPath() {
        Map<String, String> params = RequestParams.fromQuery("b=7&order=o%3A1&amount=12.50", false);

        assertThat(params).containsExactlyInAnyOrderEntriesOf(Map.of("b", "7", "order", "o:1", "amount", "12.50"));
    }

    @Test
    void percentEscapesAndPlusAreDecoded() {
        Map<String, String> params = RequestParams.fromQuery("/c?u=https%3A%2F%2Fevil.example%2F&n=a+b&%62=7", true);

        assertThat(params).containsEntry("u", "https://evil.example/").containsEntry("n", "a b").containsEntry("b", "7");
    }

    @Test
    void querySplitsAsNettysDecoderDoes() {
        // Semicolons separate too, a fragment ends the query, a bare name has an empty value,
        // empty pieces and a leading '=' are skipped.
        Map<String, String> params = RequestParams.fromQuery("/i?b=7;p=3&&flag&=x&n=a=b#ts=1", true);

        assertThat(params).containsOnly(entry("b", "7"), entry("p", "3"), entry("flag", ""), entry("x", ""), entry("n", "a=b"));
        assertThat(RequestParams.fromQuery("/i#?b=7", true)).isEmpty();
    }

    @Test
    void uriWithoutQueryHasNoParameters() {
        assertThat(RequestParams.fromQuery("/i", true)).isEmpty();
        assertThat(RequestParams.fromQuery("", false)).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] <{0}>")
    @ValueSource(strings = {"/i?b=7&b=7", "/i?b=7&b=8", "/i?b=7&p=3&b=", "/i?%62=7&b=7"})
    void repeatedParameterIsABadRequest(String uri) {
        assertBadRequest(() -> RequestParams.fromQuery(uri, true), "repeated_parameter");
    }

    @Test
    void repeatedParameterInAFormBodyIsABadRequest() {
        assertBadRequest(() -> RequestParams.fromQuery("order=a&order=b", false), "repeated_parameter");
    }

    @ParameterizedTest(name = "[{index}] <{0}>")
    @ValueSource(strings = {"/i?b=%zz", "/i?b=%", "/i?b=7%", "/i?b=%4", "/i?n=a%g1", "/i?%zz=1"})
    void badPercentEncodingIsABadRequest(String uri) {
        assertBadRequest(() -> RequestParams.fromQuery(uri, true), "bad_encoding");
    }

    @Test
    void badPercentEncodingInAFormBodyIsABadRequest() {
        assertBadRequest(() -> RequestParams.fromQuery("b=7&amount=%zz", false), "bad_encoding");
    }

    @Test
    void moreThanSixteenParametersIsABadRequest() {
        StringBuilder q = new StringBuilder("/i?");
        for (int i = 0; i < RequestParams.MAX_PARAMS + 1; i++) {
            q.append(i == 0 ? "" : "&").append("x").append(i).append("=1");
        }

        assertBadRequest(() -> RequestParams.fromQuery(q.toString(), true), "too_many_parameters");
    }

    @Test
    void valueOf256CharactersIsReadAnd257IsABadRequest() {
        assertThat(RequestParams.fromQuery("/i?n=" + "a".repeat(256), true).get("n")).hasSize(256);
        assertBadRequest(() -> RequestParams.fromQuery("/i?n=" + "a".repeat(257), true), "value_too_long");
    }

    // ---- JSON ----------------------------------------------------------------------------------

    @Test
    void flatJsonObjectGivesStringsAndNumbersAsText() {
        Map<String, String> params = json("{\"b\":7,\"p\":\"3\",\"order\":\"o-1\",\"amount\":12.50,\"ts\":1700000000000}");

        assertThat(params).containsExactlyInAnyOrderEntriesOf(
                Map.of("b", "7", "p", "3", "order", "o-1", "amount", "12.50", "ts", "1700000000000"));
    }

    @ParameterizedTest(name = "{0} stays {0}")
    @ValueSource(strings = {"12.50", "12.500000", "0.10", "-0.0", "1e5", "1E+5", "100", "-12.50", "0.000001"})
    void numbersAreKeptExactlyAsWritten(String number) {
        assertThat(json("{\"amount\":" + number + "}")).containsEntry("amount", number);
    }

    @Test
    void whitespaceAroundTheObjectIsAllowed() {
        assertThat(json("  {\n \"b\" : \"7\" \n}\r\n ")).containsExactly(Map.entry("b", "7"));
    }

    @Test
    void onlyTheGivenSliceOfTheBufferIsRead() {
        byte[] bytes = "{\"b\":1}\n{\"b\":2}\n{\"b\":3}".getBytes(StandardCharsets.UTF_8);

        assertThat(RequestParams.fromJson(bytes, 8, 7)).containsExactly(Map.entry("b", "2"));
    }

    @ParameterizedTest(name = "[{index}] <{0}>")
    @ValueSource(strings = {
        "{\"b\":{\"x\":1}}",          // nested object
        "{\"b\":[7]}",                // array
        "{\"b\":[]}",
        "{\"b\":true}",               // boolean
        "{\"b\":false}",
        "{\"b\":null}",               // null
        "{\"b\":\"7\"} x",            // trailing garbage
        "{\"b\":\"7\"} 5",
        "{\"b\":\"7\"},",
        "{\"b\":\"7\"}{\"p\":\"3\"}", // two objects
        "{\"b\":\"7\"}\n{\"p\":\"3\"}",
        "[{\"b\":\"7\"}]",            // not an object
        "\"b\"",
        "7",
        "",
        "   ",
        "{",
        "{\"b\":\"7\"",
        "{\"b\":7,}",
        "{b:7}",
        "{'b':'7'}",
        "{\"b\":NaN}",
        "{\"b\":Infinity}",
        "{\"b\":0x10}",
        "{\"b\":\"7\" /* c */}",
        "{\"a\":[[[[1]]]]}"
    })
    void anythingButOneFlatObjectIsABadRequest(String json) {
        assertBadRequest(() -> json(json), "bad_json");
    }

    @Test
    void duplicateKeyIsABadRequest() {
        assertBadRequest(() -> json("{\"b\":\"7\",\"b\":\"7\"}"), "repeated_parameter");
        assertBadRequest(() -> json("{\"b\":\"7\",\"p\":3,\"b\":8}"), "repeated_parameter");
    }

    @Test
    void decodingStopsJustPastTheParameterLimit() {
        // A broken escape far past the limit is never reached: the query is not decoded whole.
        StringBuilder q = new StringBuilder("/i?");
        for (int i = 0; i < 100; i++) {
            q.append(i == 0 ? "" : "&").append("x").append(i).append("=1");
        }
        q.append("&b=%zz"); // the 101st: Netty's own bound (1,024 parameters) would have decoded it

        assertBadRequest(() -> RequestParams.fromQuery(q.toString(), true), "too_many_parameters");
    }

    @Test
    void jsonWithMoreThanSixteenMembersIsABadRequest() {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < RequestParams.MAX_PARAMS + 1; i++) {
            s.append(i == 0 ? "" : ",").append("\"x").append(i).append("\":1");
        }
        s.append('}');

        assertBadRequest(() -> json(s.toString()), "too_many_parameters");
    }

    @Test
    void jsonValueLongerThan256CharactersIsABadRequest() {
        assertBadRequest(() -> json("{\"n\":\"" + "a".repeat(257) + "\"}"), "value_too_long");
    }

    @Test
    void jsonStringEscapesAreDecoded() {
        assertThat(json("{\"u\":\"https:\\/\\/x.example\\u002F\"}")).containsEntry("u", "https://x.example/");
    }

    @ParameterizedTest(name = "[{index}] <{0}>")
    @CsvSource(delimiter = '|', value = {
        "{\"b\":\"7\"} garbage",
        "not json at all"
    })
    void malformedJsonReasonDoesNotEchoTheInput(String json) {
        BadRequestException e = catchThrowableOfType(() -> json(json), BadRequestException.class);

        assertThat(e.rejection().reason()).doesNotContain("garbage").doesNotContain("not json");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Map<String, String> json(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return RequestParams.fromJson(bytes, 0, bytes.length);
    }

    private static void assertBadRequest(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String code) {
        BadRequestException e = catchThrowableOfType(call, BadRequestException.class);
        assertThat(e).as("expected a BadRequestException with code %s", code).isNotNull();
        Rejection r = e.rejection();
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo(code);
    }
}
