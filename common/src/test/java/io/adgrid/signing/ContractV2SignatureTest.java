package io.adgrid.signing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import io.adgrid.event.EventType;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The contract v2 examples (CONTRACT section 4) as signature vectors, computed outside Java with
 *   printf '/i?b=7&n=abc&p=3&ts=1700000000000' | openssl dgst -sha256 -hmac demo-secret-7 -binary | base64 | tr '+/' '-_' | tr -d '='
 * and with python3's hmac module (the same values).
 */
class ContractV2SignatureTest {

    /** demo-secret-7 (banner 7's campaign), /i?b=7&n=abc&p=3&ts=1700000000000: the contract's impression. */
    static final String IMPRESSION_SIG = "1menjYuDHoUUnMP1CEdPkcs7L2SKCx1iUlNIkOHI51s";
    /** demo-secret-7, /c?b=7&n=abc&p=3&ts=1700000000000: the click of the same rendering. */
    static final String CLICK_SIG = "_EuHg4P_YeM4HrPR0kZlMaP0C6b9mZNBA366Aixs6Hg";
    /** demo-secret-7, b=7&n=abc&p=3&ts=1700000000000: the v1 signature, and the rendering's identity. */
    static final String V1_SIG = "ab6q1IAgUIhwc4sE1xS0_VQ_ogmw6e94OVhSwR10j9A";
    /** demo-secret-1, /s?amount=12.50&b=7&order=o-1&p=3&ts=1700000000000. */
    static final String SALE_SIG = "70lOfBnvstiIpmlx-e02citApw48iRFJJqYMA3TvICI";

    private static final SecretKeySpec KEY = BeaconSigner.key("demo-secret-7");

    private static Map<String, String> rendering() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("b", "7");
        params.put("p", "3");
        params.put("ts", "1700000000000");
        params.put("n", "abc");
        return params;
    }

    @Test
    void contractStringsStartWithTheTypePath() {
        assertThat(CanonicalString.of(EventType.IMPRESSION, rendering())).isEqualTo("/i?b=7&n=abc&p=3&ts=1700000000000");
        assertThat(CanonicalString.of(EventType.CLICK, rendering())).isEqualTo("/c?b=7&n=abc&p=3&ts=1700000000000");
        assertThat(CanonicalString.of(EventType.SALE, Map.of("b", "7", "amount", "1"))).isEqualTo("/s?amount=1&b=7");
    }

    @Test
    void contractImpressionAndClickSignaturesMatchAnIndependentHmac() {
        assertThat(BeaconSigner.sign(KEY, EventType.IMPRESSION, rendering())).isEqualTo(IMPRESSION_SIG);
        assertThat(BeaconSigner.sign(KEY, EventType.CLICK, rendering())).isEqualTo(CLICK_SIG);
        assertThat(BeaconSigner.signV1(KEY, rendering())).isEqualTo(V1_SIG);
    }

    @Test
    void saleSignatureCoversItsPath() {
        Map<String, String> sale = new LinkedHashMap<>(Map.of("b", "7", "p", "3", "order", "o-1", "amount", "12.50", "ts", "1700000000000"));

        assertThat(BeaconSigner.sign(BeaconSigner.key("demo-secret-1"), EventType.SALE, sale)).isEqualTo(SALE_SIG);
    }

    @Test
    void anImpressionSignatureIsNotAClickSignature() {
        assertThat(BeaconSigner.verify(KEY, EventType.CLICK, rendering(), BeaconSigner.decode(IMPRESSION_SIG), false)).isNull();
        assertThat(BeaconSigner.verify(KEY, EventType.IMPRESSION, rendering(), BeaconSigner.decode(CLICK_SIG), false)).isNull();
        assertThat(BeaconSigner.verify(KEY, EventType.SALE, rendering(), BeaconSigner.decode(IMPRESSION_SIG), true)).isNull();
        // A legacy key accepts v1, never one type's v2 signature as another type's.
        assertThat(BeaconSigner.verify(KEY, EventType.CLICK, rendering(), BeaconSigner.decode(IMPRESSION_SIG), true)).isNull();
    }

    @Test
    void v1IsAcceptedOnlyWhenAsked() {
        assertThat(BeaconSigner.verify(KEY, EventType.IMPRESSION, rendering(), BeaconSigner.decode(V1_SIG), false)).isNull();

        BeaconSigner.Verified v1 = BeaconSigner.verify(KEY, EventType.IMPRESSION, rendering(), BeaconSigner.decode(V1_SIG), true);
        assertThat(v1.version()).isEqualTo(BeaconSigner.Version.V1);
    }

    @Test
    void impressionAndClickOfOneRenderingShareTheRenderingIdentityWhichIsTheV1Signature() {
        BeaconSigner.Verified impression = BeaconSigner.verify(KEY, EventType.IMPRESSION, rendering(), BeaconSigner.decode(IMPRESSION_SIG), false);
        BeaconSigner.Verified click = BeaconSigner.verify(KEY, EventType.CLICK, rendering(), BeaconSigner.decode(CLICK_SIG), true);
        BeaconSigner.Verified legacyClick = BeaconSigner.verify(KEY, EventType.CLICK, rendering(), BeaconSigner.decode(V1_SIG), true);

        assertThat(impression.version()).isEqualTo(BeaconSigner.Version.V2);
        assertThat(click.version()).isEqualTo(BeaconSigner.Version.V2);
        assertThat(impression.identity()).isEqualTo(BeaconSigner.decode(V1_SIG));
        assertThat(click.identity()).isEqualTo(BeaconSigner.decode(V1_SIG));
        assertThat(legacyClick.identity()).isEqualTo(BeaconSigner.decode(V1_SIG));
    }

    @Test
    void anotherRenderingHasAnotherIdentity() {
        Map<String, String> other = rendering();
        other.put("n", "abd");
        BeaconSigner.Verified v = BeaconSigner.verify(KEY, EventType.IMPRESSION, other,
                BeaconSigner.decode(BeaconSigner.sign(KEY, EventType.IMPRESSION, other)), false);

        assertThat(v.identity()).isNotEqualTo(BeaconSigner.decode(V1_SIG));
    }
}
