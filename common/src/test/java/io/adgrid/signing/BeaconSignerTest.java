package io.adgrid.signing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class BeaconSignerTest {

    /*
     * Cross-implementation vectors, computed outside Java with
     *   python3 -c "import hmac,hashlib,base64; print(base64.urlsafe_b64encode(hmac.new(
     *       SECRET.encode('utf-8'), CANONICAL.encode('utf-8'), hashlib.sha256).digest()).rstrip(b'=').decode())"
     * and the first one cross-checked with
     *   printf 'b=7&n=abc&p=3&ts=1700000000000' | openssl dgst -sha256 -hmac demo-secret-1 -binary | base64 | tr '+/' '-_' | tr -d '='
     */
    /** secret demo-secret-1, canonical b=7&n=abc&p=3&ts=1700000000000 (the contract example). */
    private static final String CONTRACT_VECTOR_SIG = "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ_sb9X08DlhVT0";
    /** The same MAC as hex (python3: hmac.new(...).hexdigest()). */
    private static final String CONTRACT_VECTOR_HEX = "5bdce9bcdd92a3a9444b45e6bb7c177435b385a6ce249fec6fd5f4f03961553d";
    /** secret demo-secret-2, same canonical string. */
    private static final String OTHER_SECRET_SIG = "6MOJE6vFAowaIYGZ85MQ2ff7Pj0BLEz6wgnjCL5u37Q";
    /** secret demo-secret-1, canonical amount=12.50&b=7&order=o-1&p=3&ts=1700000000000 (a sale). */
    private static final String SALE_VECTOR_SIG = "a6C5NKCanEIqi5sBDSIbeMH7y5wXk49cM-UgHKVJTwY";
    /** secret "sécret-ü" (UTF-8 bytes), canonical b=7&n=abc&p=3&ts=1700000000000. */
    private static final String UTF8_SECRET_SIG = "2Dtwm2nWZbZyBoZHMxfvKRjvsGYPdlUKVxDZeRoKphc";

    private static Map<String, String> contractParams() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("b", "7");
        params.put("p", "3");
        params.put("ts", "1700000000000");
        params.put("n", "abc");
        return params;
    }

    @Test
    void contractExampleSignatureMatchesAnIndependentHmacImplementation() {
        String sig = BeaconSigner.signV1(BeaconSigner.key("demo-secret-1"), contractParams());

        assertThat(sig).isEqualTo(CONTRACT_VECTOR_SIG);
    }

    @Test
    void macOfTheCanonicalStringIsTheRawHmacSha256() {
        byte[] mac = BeaconSigner.mac(BeaconSigner.key("demo-secret-1"), "b=7&n=abc&p=3&ts=1700000000000");

        assertThat(HexFormat.of().formatHex(mac)).isEqualTo(CONTRACT_VECTOR_HEX);
    }

    @Test
    void saleSignatureCoversAmountAsWrittenAndOrder() {
        Map<String, String> sale = new LinkedHashMap<>();
        sale.put("b", "7");
        sale.put("p", "3");
        sale.put("order", "o-1");
        sale.put("amount", "12.50");
        sale.put("ts", "1700000000000");

        assertThat(BeaconSigner.signV1(BeaconSigner.key("demo-secret-1"), sale)).isEqualTo(SALE_VECTOR_SIG);
        sale.put("amount", "12.5");
        assertThat(BeaconSigner.signV1(BeaconSigner.key("demo-secret-1"), sale)).isNotEqualTo(SALE_VECTOR_SIG);
    }

    @Test
    void secretIsUsedAsUtf8Bytes() {
        String secret = "s\u00e9cret-\u00fc";

        assertThat(BeaconSigner.signV1(BeaconSigner.key(secret), contractParams())).isEqualTo(UTF8_SECRET_SIG);
        assertThat(BeaconSigner.signV1(BeaconSigner.key(secret.getBytes(StandardCharsets.UTF_8)), contractParams()))
                .isEqualTo(UTF8_SECRET_SIG);
    }

    @Test
    void keyIsTakenPerCallSoAlternatingSecretsGiveEachTheirOwnSignature() {
        SecretKeySpec one = BeaconSigner.key("demo-secret-1");
        SecretKeySpec two = BeaconSigner.key("demo-secret-2");

        assertThat(BeaconSigner.signV1(one, contractParams())).isEqualTo(CONTRACT_VECTOR_SIG);
        assertThat(BeaconSigner.signV1(two, contractParams())).isEqualTo(OTHER_SECRET_SIG);
        assertThat(BeaconSigner.signV1(one, contractParams())).isEqualTo(CONTRACT_VECTOR_SIG);
    }

    @Test
    void existingSigParameterDoesNotChangeTheSignature() {
        Map<String, String> withSig = new HashMap<>(contractParams());
        withSig.put("sig", "anything-at-all");

        assertThat(BeaconSigner.signV1(BeaconSigner.key("demo-secret-1"), withSig)).isEqualTo(CONTRACT_VECTOR_SIG);
    }

    @Test
    void signatureIsBase64UrlWithoutPaddingOf32Bytes() {
        for (int i = 0; i < 200; i++) {
            Map<String, String> params = contractParams();
            params.put("n", "nonce-" + i);
            String sig = BeaconSigner.signV1(BeaconSigner.key("demo-secret-1"), params);
            assertThat(sig).hasSize(43).matches("[A-Za-z0-9_-]{43}");
        }
    }

    @Test
    void signingFromManyThreadsAtOnceGivesTheSameSignatures() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                boolean first = t % 2 == 0;
                results.add(pool.submit(() -> {
                    SecretKeySpec key = BeaconSigner.key(first ? "demo-secret-1" : "demo-secret-2");
                    String expected = first ? CONTRACT_VECTOR_SIG : OTHER_SECRET_SIG;
                    for (int i = 0; i < 2_000; i++) {
                        if (!BeaconSigner.signV1(key, contractParams()).equals(expected)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void decodeGivesTheThirtyTwoMacBytes() {
        byte[] decoded = BeaconSigner.decode(CONTRACT_VECTOR_SIG);

        assertThat(decoded).hasSize(32);
        assertThat(HexFormat.of().formatHex(decoded)).isEqualTo(CONTRACT_VECTOR_HEX);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ_sb9X08DlhVT",     // 42 characters
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ_sb9X08DlhVT0A",   // 44 characters
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ_sb9X08DlhVT0=",   // padded
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ_sb9X08DlhVT=",    // 43 with padding inside
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ/sb9X08DlhVT0",    // standard-alphabet '/'
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ+sb9X08DlhVT0",    // standard-alphabet '+'
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ sb9X08DlhVT0",    // space
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ!sb9X08DlhVT0",    // punctuation
        "W9zpvN2So6lES0Xmu3wXdDWzhabOJJ\u00e9sb9X08DlhVT0", // non-ASCII
        "5bdce9bcdd92a3a9444b45e6bb7c177435b385a6ce249fec6fd5f4f03961553d" // hex, not base64url
    })
    void decodeRejectsAnythingThatIsNotBase64UrlOf32Bytes(String sig) {
        assertThat(BeaconSigner.decode(sig)).isNull();
    }

    @Test
    void matchesIsTrueForEqualBytesInDifferentArrays() {
        byte[] a = BeaconSigner.decode(CONTRACT_VECTOR_SIG);
        byte[] b = BeaconSigner.mac(BeaconSigner.key("demo-secret-1"), "b=7&n=abc&p=3&ts=1700000000000");

        assertThat(a).isNotSameAs(b);
        assertThat(BeaconSigner.matches(a, b)).isTrue();
    }

    @Test
    void matchesIsFalseWhenAnySingleByteDiffers() {
        byte[] expected = BeaconSigner.decode(CONTRACT_VECTOR_SIG);
        for (int i = 0; i < expected.length; i++) {
            byte[] given = expected.clone();
            given[i] ^= 0x01;
            assertThat(BeaconSigner.matches(expected, given)).as("byte %d flipped", i).isFalse();
        }
    }

    @Test
    void matchesIsFalseForAnotherSecretsSignature() {
        assertThat(BeaconSigner.matches(BeaconSigner.decode(CONTRACT_VECTOR_SIG), BeaconSigner.decode(OTHER_SECRET_SIG)))
                .isFalse();
    }

    @Test
    void matchesIsFalseForAPrefixOrAnEmptyArray() {
        byte[] expected = BeaconSigner.decode(CONTRACT_VECTOR_SIG);

        assertThat(BeaconSigner.matches(expected, java.util.Arrays.copyOf(expected, 16))).isFalse();
        assertThat(BeaconSigner.matches(expected, java.util.Arrays.copyOf(expected, 33))).isFalse();
        assertThat(BeaconSigner.matches(expected, new byte[0])).isFalse();
    }
}
