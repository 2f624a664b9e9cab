package io.adgrid.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The signature check of one beacon as the validator does it (decode {@code sig}, HMAC-SHA256 of
 * the canonical string with the campaign's key, constant-time compare), against a bare
 * {@code Mac.doFinal} of the same bytes with the key already set.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SignatureBenchmark {

    private SecretKeySpec key;
    private String canonical;
    private String sig;
    private String tamperedSig;
    private Mac initializedMac;
    private byte[] canonicalBytes;

    @Setup
    public void setUp() throws GeneralSecurityException {
        key = BeaconSigner.key("demo-secret-7");
        Map<String, String> params = Map.of("b", "7", "p", "42", "ts", "1795000000000", "n", "3f9c2a7d1b8e4c60");
        canonical = CanonicalString.of(params);
        sig = BeaconSigner.sign(key, params);
        // Still valid base64url of 32 bytes, one bit of the first byte flipped: fails on the compare, not the decode.
        tamperedSig = (sig.charAt(0) == 'A' ? 'B' : 'A') + sig.substring(1);
        canonicalBytes = canonical.getBytes(StandardCharsets.UTF_8);
        initializedMac = Mac.getInstance("HmacSHA256");
        initializedMac.init(key);
        if (!verify(sig) || verify(tamperedSig)) {
            throw new IllegalStateException("the signature check does not tell a good signature from a tampered one");
        }
    }

    private boolean verify(String given) {
        byte[] decoded = BeaconSigner.decode(given);
        return decoded != null && BeaconSigner.matches(BeaconSigner.mac(key, canonical), decoded);
    }

    @Benchmark
    public byte[] baseline() {
        return initializedMac.doFinal(canonicalBytes);
    }

    @Benchmark
    public boolean verifyGenuine() {
        return verify(sig);
    }

    @Benchmark
    public boolean verifyTampered() {
        return verify(tamperedSig);
    }
}
