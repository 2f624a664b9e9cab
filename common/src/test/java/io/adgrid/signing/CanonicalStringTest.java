package io.adgrid.signing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalStringTest {

    @Test
    void contractExampleIsSortedByNameAndJoinedWithAmpersand() {
        // CONTRACT section 4: for b=7&p=3&ts=1700000000000&n=abc the string is b=7&n=abc&p=3&ts=1700000000000
        Map<String, String> params = new LinkedHashMap<>();
        params.put("b", "7");
        params.put("p", "3");
        params.put("ts", "1700000000000");
        params.put("n", "abc");

        assertThat(CanonicalString.v1(params)).isEqualTo("b=7&n=abc&p=3&ts=1700000000000");
    }

    @Test
    void signatureParameterIsNotPartOfTheCanonicalString() {
        Map<String, String> params = new HashMap<>(Map.of("b", "7", "p", "3", "ts", "1700000000000", "n", "abc",
                "sig", "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ_sb9X08DlhVT0"));

        assertThat(CanonicalString.v1(params)).isEqualTo("b=7&n=abc&p=3&ts=1700000000000");
    }

    @Test
    void insertionOrderDoesNotChangeTheCanonicalString() {
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("amount", "12.50");
        forward.put("b", "7");
        forward.put("order", "o-1");
        forward.put("p", "3");
        forward.put("ts", "1");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("ts", "1");
        backward.put("p", "3");
        backward.put("order", "o-1");
        backward.put("b", "7");
        backward.put("amount", "12.50");

        assertThat(CanonicalString.v1(forward))
                .isEqualTo(CanonicalString.v1(backward))
                .isEqualTo("amount=12.50&b=7&order=o-1&p=3&ts=1");
    }

    @Test
    void valuesAreTakenAsGivenWithoutReEncoding() {
        // Decoded values go in as they are: a URL value is not percent-encoded again.
        Map<String, String> params = Map.of("u", "https://x.example/a b", "b", "7");

        assertThat(CanonicalString.v1(params)).isEqualTo("b=7&u=https://x.example/a b");
    }

    @Test
    void namesSortByCharacterCodeSoUpperCaseComesFirst() {
        Map<String, String> params = Map.of("b", "1", "B", "2", "ts", "3", "n", "4");

        assertThat(CanonicalString.v1(params)).isEqualTo("B=2&b=1&n=4&ts=3");
    }

    @Test
    void emptyValuesKeepTheirNameAndEqualsSign() {
        Map<String, String> params = Map.of("b", "7", "url", "");

        assertThat(CanonicalString.v1(params)).isEqualTo("b=7&url=");
    }

    @Test
    void onlySignatureGivesAnEmptyString() {
        assertThat(CanonicalString.v1(Map.of("sig", "x"))).isEmpty();
        assertThat(CanonicalString.v1(Map.of())).isEmpty();
    }

    @Test
    void callerMapIsNotModified() {
        Map<String, String> params = new HashMap<>(Map.of("b", "7", "sig", "x"));

        CanonicalString.v1(params);

        assertThat(params).containsOnlyKeys("b", "sig");
    }
}
