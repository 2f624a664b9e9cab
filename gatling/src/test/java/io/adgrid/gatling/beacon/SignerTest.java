package io.adgrid.gatling.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import io.adgrid.signing.BeaconSigner;
import org.junit.jupiter.api.Test;

class SignerTest {

    @Test
    void canonicalStringIsTheContractsExample() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", "7");
        p.put("p", "3");
        p.put("ts", "1700000000000");
        p.put("n", "abc");
        p.put("sig", "ignored");
        assertThat(Signer.canonical("/i", p)).isEqualTo("/i?b=7&n=abc&p=3&ts=1700000000000");
        assertThat(Signer.canonical("/c", p)).isEqualTo("/c?b=7&n=abc&p=3&ts=1700000000000");
    }

    @Test
    void signaturesMatchTheProductsSignerForBeaconsAndSales() {
        Map<String, String> beacon = Map.of("b", "7", "p", "3", "ts", "1700000000000", "n", "run1.2a");
        Map<String, String> sale = Map.of("b", "12", "p", "99", "ts", "1700000000123", "order", "o-run1-3", "amount", "12.50");
        for (Object[] c : new Object[][] {{beacon, io.adgrid.event.EventType.IMPRESSION, "/i"}, {beacon, io.adgrid.event.EventType.CLICK, "/c"},
                {sale, io.adgrid.event.EventType.SALE, "/s"}}) {
            @SuppressWarnings("unchecked")
            Map<String, String> params = (Map<String, String>) c[0];
            String ours = Signer.sign(Signer.key("demo-secret-7"), (String) c[2], params);
            String product = BeaconSigner.sign(BeaconSigner.key("demo-secret-7"), (io.adgrid.event.EventType) c[1], params);
            assertThat(ours).isEqualTo(product).hasSize(43).matches("[A-Za-z0-9_-]{43}");
            assertThat(BeaconSigner.decode(ours)).as("the gateway accepts its spelling").isNotNull();
        }
    }

    @Test
    void signedParametersCarryTheirSignatureAndAnyChangeBreaksIt() {
        Map<String, String> signed = Signer.signed(Signer.key("demo-secret-1"), "/i", Map.of("b", "1", "p", "1", "ts", "5", "n", "x"));
        Map<String, String> tampered = new LinkedHashMap<>(signed);
        tampered.put("p", "2");
        assertThat(signed.get("sig")).isEqualTo(Signer.sign(Signer.key("demo-secret-1"), "/i", signed));
        assertThat(Signer.sign(Signer.key("demo-secret-1"), "/i", tampered)).isNotEqualTo(signed.get("sig"));
        assertThat(Signer.sign(Signer.key("demo-secret-2"), "/i", signed)).isNotEqualTo(signed.get("sig"));
    }

    @Test
    void urlEncodingEscapesValuesOnly() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", "1");
        p.put("url", "https://evil.example/x?a=1&b=2");
        assertThat(Signer.urlEncoded(p)).isEqualTo("b=1&url=https%3A%2F%2Fevil.example%2Fx%3Fa%3D1%26b%3D2");
    }
}
