package io.adgrid.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.event.EventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestSignatureTest {

    private static final SecretKeySpec KEY = BeaconSigner.key("sender-secret-0123456789");
    private static final byte[] BODY = "{\"type\":\"impression\",\"b\":7,\"p\":3,\"ts\":1700000000000,\"n\":\"abc\"}\n"
            .getBytes(StandardCharsets.UTF_8);
    /*
     * Computed outside Java:
     *   python3 -c "import hmac,hashlib,base64; body=b'{\"type\":\"impression\",\"b\":7,\"p\":3,\"ts\":1700000000000,\"n\":\"abc\"}\n';
     *     print(base64.urlsafe_b64encode(hmac.new(b'sender-secret-0123456789', b'AGS1\nPOST\n/events\ns1\n1700000000000\n' + body,
     *     hashlib.sha256).digest()).rstrip(b'=').decode())"
     */
    private static final String VECTOR = "twqhGZoQI02Hc-SqqdJe07H4cGgGt0PMPzepFpcPvyw";

    @Test
    void signsTheDocumentedStringAsAnotherImplementationDoes() {
        assertThat(RequestSignature.prefix("POST", "/events", "s1", 1700000000000L)).isEqualTo("AGS1\nPOST\n/events\ns1\n1700000000000\n");
        assertThat(RequestSignature.header(KEY, "POST", "/events", "s1", 1700000000000L, BODY))
                .isEqualTo("kid=s1, ts=1700000000000, sig=" + VECTOR);
    }

    @Test
    void verifiesItsOwnHeaderAndNothingElse() throws Exception {
        RequestSignature.Header h = RequestSignature.parse(RequestSignature.header(KEY, "POST", "/events", "s1", 1700000000000L, BODY));
        assertThat(h.kid()).isEqualTo("s1");
        assertThat(h.ts()).isEqualTo(1700000000000L);
        assertThat(RequestSignature.verify(KEY, "POST", "/events", h, BODY, 0, BODY.length)).isTrue();

        byte[] swapped = BODY.clone();
        swapped[swapped.length - 3] = 'x';
        assertThat(RequestSignature.verify(KEY, "POST", "/events", h, swapped, 0, swapped.length)).as("another body").isFalse();
        assertThat(RequestSignature.verify(KEY, "POST", "/events", h, BODY, 0, BODY.length - 1)).as("a truncated body").isFalse();
        assertThat(RequestSignature.verify(KEY, "POST", "/s", h, BODY, 0, BODY.length)).as("another endpoint").isFalse();
        assertThat(RequestSignature.verify(BeaconSigner.key("another-secret-0123456"), "POST", "/events", h, BODY, 0, BODY.length))
                .as("another key").isFalse();
        assertThat(RequestSignature.verify(KEY, "POST", "/events", new RequestSignature.Header("s2", h.ts(), h.sig()), BODY, 0, BODY.length))
                .as("another kid").isFalse();
        assertThat(RequestSignature.verify(KEY, "POST", "/events", new RequestSignature.Header("s1", h.ts() + 1, h.sig()), BODY, 0, BODY.length))
                .as("another ts").isFalse();
    }

    @Test
    void readsTheParametersInAnyOrderWithOptionalSpaces() throws Exception {
        RequestSignature.Header h = RequestSignature.parse("sig=" + VECTOR + ",\tts=5 ,kid=a.b:c_d-e");
        assertThat(h.kid()).isEqualTo("a.b:c_d-e");
        assertThat(h.ts()).isEqualTo(5);
        assertThat(h.sig()).hasSize(32);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "kid=s1, ts=1700000000000",                                      // no sig
        "kid=s1, ts=1700000000000, sig=" + VECTOR + ", kid=s2",          // a repeated parameter
        "kid=s1, ts=1700000000000, sig=" + VECTOR + ", sig=" + VECTOR,
        "kid=s1, ts=1700000000000, sig=" + VECTOR + ", x=1",             // unknown
        "kid=s1, ts=1700000000000, sig=" + VECTOR + ",",                 // empty part
        "kid=s1; ts=1700000000000; sig=" + VECTOR,                       // other separators
        "kid=\"s1\", ts=1700000000000, sig=" + VECTOR,                   // quoted
        "kid=, ts=1700000000000, sig=" + VECTOR,
        "kid=s 1, ts=1700000000000, sig=" + VECTOR,
        "kid=s1\r\nX-Other: 1, ts=1700000000000, sig=" + VECTOR,         // header injection
        "kid=s1, ts=-1, sig=" + VECTOR,
        "kid=s1, ts=1e12, sig=" + VECTOR,
        "kid=s1, ts=1234567890123456, sig=" + VECTOR,                    // 16 digits
        "kid=s1, ts=1700000000000, sig=" + VECTOR + "=",                 // padding
        "kid=s1, ts=1700000000000, sig=twqhGZoQI02Hc+SqqdJe07H4cGgGt0PMPzepFpcPvyw", // base64, not base64url
        "kid=s1, ts=1700000000000, sig=twqhGZoQI02Hc-SqqdJe07H4cGgGt0PMPzepFpcPvyx", // spare bits set
        "kid=s1, ts=１７, sig=" + VECTOR,                                  // full-width digits
        "kid=sé, ts=1700000000000, sig=" + VECTOR,
        "KID=s1, ts=1700000000000, sig=" + VECTOR,                       // names are lower case
        "=s1, ts=1700000000000, sig=" + VECTOR,
    })
    void refusesAnythingButExactlyKidTsAndSig(String value) {
        assertThatThrownBy(() -> RequestSignature.parse(value)).isInstanceOf(RequestSignature.MalformedException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith("X-AdGrid-Signature").doesNotContain(VECTOR));
    }

    @Test
    void refusesAHugeValueBeforeReadingIt() {
        String huge = "kid=s1, ts=1700000000000, sig=" + VECTOR + " ".repeat(RequestSignature.MAX_HEADER_LENGTH);
        assertThatThrownBy(() -> RequestSignature.parse(huge)).hasMessageContaining("longer than");
        assertThatThrownBy(() -> RequestSignature.parse(null)).isInstanceOf(RequestSignature.MalformedException.class);
    }

    @Test
    void aLinesIdentityIsWhatItsOwnSignatureWouldHaveGivenIt() {
        Map<String, String> impression = new LinkedHashMap<>(Map.of("b", "7", "p", "3", "ts", "1700000000000", "n", "abc", "kid", "0"));
        Map<String, String> signed = new LinkedHashMap<>(impression);
        signed.put("sig", BeaconSigner.sign(KEY, EventType.IMPRESSION, impression));
        BeaconSigner.Verified v = BeaconSigner.verify(KEY, EventType.IMPRESSION, signed, BeaconSigner.decode(signed.get("sig")), false);
        assertThat(BeaconSigner.identity(KEY, EventType.IMPRESSION, impression)).isEqualTo(v.identity());
        assertThat(BeaconSigner.identity(KEY, EventType.CLICK, impression)).as("a click of the same rendering").isEqualTo(v.identity());

        Map<String, String> sale = new LinkedHashMap<>(Map.of("b", "7", "p", "3", "ts", "1700000000000", "order", "o-1", "amount", "1.5"));
        Map<String, String> signedSale = new LinkedHashMap<>(sale);
        signedSale.put("sig", BeaconSigner.sign(KEY, EventType.SALE, sale));
        BeaconSigner.Verified s = BeaconSigner.verify(KEY, EventType.SALE, signedSale, BeaconSigner.decode(signedSale.get("sig")), false);
        assertThat(BeaconSigner.identity(KEY, EventType.SALE, sale)).isEqualTo(s.identity());
        assertThat(Arrays.equals(BeaconSigner.identity(KEY, EventType.SALE, sale), BeaconSigner.identity(KEY, EventType.IMPRESSION, sale))).isFalse();
    }
}
