package io.adgrid.attribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.signing.BeaconSigner;
import org.junit.jupiter.api.Test;

class ClickIdTest {

    private static final SecretKeySpec KEY = BeaconSigner.key("demo-secret-7");
    private static final SecretKeySpec OTHER = BeaconSigner.key("demo-secret-8");
    private static final byte[] RENDERING = BeaconSigner.mac(KEY, "b=7&n=abc&p=3&ts=1700000000000");

    @Test
    void anIdGivesBackItsClickWithTheKeyThatMadeIt() {
        String id = ClickId.of(KEY, 7, "0", 7, 3, 1_700_000_000_000L, RENDERING);

        assertThat(ClickId.read(id, (c, kid) -> c == 7 && kid.equals("0") ? KEY : null))
                .isEqualTo(new ClickId.Click(7, "0", 7, 3, 1_700_000_000_000L));
        assertThat(id).matches("[A-Za-z0-9_-]+").hasSizeLessThanOrEqualTo(ClickId.MAX_LENGTH);
    }

    @Test
    void theSameRenderingGetsTheSameIdAndAnotherRenderingAnother() {
        String id = ClickId.of(KEY, 7, "0", 7, 3, 1_700_000_000_000L, RENDERING);
        byte[] next = BeaconSigner.mac(KEY, "b=7&n=abd&p=3&ts=1700000000000");

        assertThat(ClickId.of(KEY, 7, "0", 7, 3, 1_700_000_000_000L, RENDERING)).isEqualTo(id);
        assertThat(ClickId.of(KEY, 7, "0", 7, 3, 1_700_000_000_000L, next)).isNotEqualTo(id);
    }

    @Test
    void theBannerPublisherAndTimeAreNotReadableInTheId() {
        String id = ClickId.of(KEY, 7, "0", 123_456_789L, 987_654_321L, 1_700_000_000_000L, RENDERING);
        byte[] raw = Base64.getUrlDecoder().decode(id);

        assertThat(indexOf(raw, java.nio.ByteBuffer.allocate(8).putLong(123_456_789L).array())).isNegative();
        assertThat(indexOf(raw, java.nio.ByteBuffer.allocate(8).putLong(987_654_321L).array())).isNegative();
        assertThat(indexOf(raw, java.nio.ByteBuffer.allocate(8).putLong(1_700_000_000_000L).array())).isNegative();
    }

    @Test
    void anyChangedByteAnotherKeyOrAnotherCampaignIsNoClick() {
        String id = ClickId.of(KEY, 7, "0", 7, 3, 1_700_000_000_000L, RENDERING);
        byte[] raw = Base64.getUrlDecoder().decode(id);
        for (int i = 0; i < raw.length; i++) {
            byte[] changed = raw.clone();
            changed[i] ^= 1;
            String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(changed);
            assertThat(ClickId.read(forged, (c, kid) -> KEY)).as("byte %d changed", i).isNull();
        }
        assertThat(ClickId.read(id, (c, kid) -> OTHER)).isNull();
        assertThat(ClickId.read(id, (c, kid) -> null)).as("no such campaign or key").isNull();
    }

    @Test
    void malformedIdsAreNoClickAndNeverAnException() {
        for (String bad : new String[] {null, "", "abc", "!!!!!!!!!!!!!!!!!!!!", "a".repeat(ClickId.MAX_LENGTH + 1), "A".repeat(84),
                "AQAAAAAAAAAHATA", "AQAAAAAAAAAHIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw" + "A".repeat(60), "=".repeat(20)}) {
            assertThat(ClickId.read(bad, (c, kid) -> KEY)).as(String.valueOf(bad)).isNull();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
