package io.adgrid.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.event.EventType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The signature check of one click as the validator does it, before and after contract v2:
 * <ul>
 *   <li>{@code clickV1} (the check before v2): canonical string, one HMAC-SHA256, constant-time
 *       compare; the identity was the signature's bits, so the grid found the click's impression under them;</li>
 *   <li>{@code clickV2}: {@link BeaconSigner#verify}, the v2 string's HMAC plus the rendering identity
 *       HMAC(key, v1 string) with the same keyed {@link Mac}: what binding the type costs per click
 *       (and per impression). The grid's lookup of the click's impression is unchanged: the same
 *       128-bit {@code IdentitySet.contains}, no extra bytes per impression;</li>
 *   <li>{@code clickV2Swapped}: an impression URL sent as a click, refused after one HMAC.</li>
 * </ul>
 * {@code baseline} is a bare {@code Mac.doFinal} of the v1 bytes with the key already set.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SignatureBenchmark {

    private SecretKeySpec key;
    private Map<String, String> params;
    private byte[] v1Sig;
    private byte[] clickSig;
    private byte[] impressionSig;
    private Mac initializedMac;
    private byte[] canonicalBytes;

    @Setup
    public void setUp() throws GeneralSecurityException {
        key = BeaconSigner.key("demo-secret-7");
        params = Map.of("b", "7", "p", "42", "ts", "1795000000000", "n", "3f9c2a7d1b8e4c60");
        v1Sig = BeaconSigner.decode(BeaconSigner.signV1(key, params));
        clickSig = BeaconSigner.decode(BeaconSigner.sign(key, EventType.CLICK, params));
        impressionSig = BeaconSigner.decode(BeaconSigner.sign(key, EventType.IMPRESSION, params));
        canonicalBytes = CanonicalString.v1(params).getBytes(StandardCharsets.UTF_8);
        initializedMac = Mac.getInstance("HmacSHA256");
        initializedMac.init(key);
        if (!clickV1() || clickV2() == null || clickV2Swapped() != null) {
            throw new IllegalStateException("the signature checks do not tell a click from an impression");
        }
    }

    @Benchmark
    public byte[] baseline() {
        return initializedMac.doFinal(canonicalBytes);
    }

    @Benchmark
    public boolean clickV1() {
        return BeaconSigner.matches(BeaconSigner.mac(key, CanonicalString.v1(params)), v1Sig);
    }

    @Benchmark
    public BeaconSigner.Verified clickV2() {
        return BeaconSigner.verify(key, EventType.CLICK, params, clickSig, false);
    }

    @Benchmark
    public BeaconSigner.Verified clickV2Swapped() {
        return BeaconSigner.verify(key, EventType.CLICK, params, impressionSig, false);
    }
}
