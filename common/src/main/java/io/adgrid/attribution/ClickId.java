package io.adgrid.attribution;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.BiFunction;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import io.adgrid.signing.BeaconSigner;

/**
 * The click id the {@code /c} redirect hands to the landing page (issue 21), with which the
 * advertiser's server later posts a sale ({@code POST /s click=…}).
 *
 * <p>The id carries the click itself, so no store of clicks is needed to attribute a sale, in heap
 * or anywhere, and it holds across restarts and member deaths by construction: the campaign id and
 * the key id in clear (to find the key), then the banner, publisher and click time sealed with
 * AES-GCM under a key derived from that campaign key. Sealed, the id is opaque (the advertiser does
 * not read which publisher sent the click) and unguessable (a changed or made-up id fails the tag).
 * The nonce is the rendering's identity, so a replayed click gets the same id. Whoever holds the
 * campaign key could mint ids, but could also sign a sale naming any banner and publisher already
 * (CONTRACT 4): the id adds no power to the key.
 *
 * <p>Layout, base64url without padding: version (1 byte), campaign (8), kid length (1), kid, nonce
 * (12), then banner, publisher and click ts (8 each) encrypted, and the 16-byte tag.
 */
public final class ClickId {

    /** A click as its id says. */
    public record Click(long campaign, String kid, long banner, long publisher, long ts) {
    }

    /** The longest id {@link #read} looks at: a kid of at most 32 characters gives 115. */
    public static final int MAX_LENGTH = 128;

    private static final byte VERSION = 1;
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final int SEALED = 3 * 8 + TAG_BITS / 8;
    private static final String KEY_LABEL = "adgrid click id v1";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private ClickId() {
    }

    /**
     * The id of a click.
     *
     * @param campaignKey the key that signed the click (its secret derives the sealing key)
     * @param identity    the rendering's identity (at least 12 bytes): the same click, the same id
     */
    public static String of(SecretKeySpec campaignKey, long campaign, String kid, long banner, long publisher, long ts, byte[] identity) {
        byte[] kidBytes = kid.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer header = ByteBuffer.allocate(1 + 8 + 1 + kidBytes.length + NONCE);
        header.put(VERSION).putLong(campaign).put((byte) kidBytes.length).put(kidBytes).put(identity, 0, NONCE);
        byte[] clear = ByteBuffer.allocate(24).putLong(banner).putLong(publisher).putLong(ts).array();
        byte[] sealed = crypt(Cipher.ENCRYPT_MODE, campaignKey, header.array(), clear);
        return ENCODER.encodeToString(ByteBuffer.allocate(header.capacity() + sealed.length).put(header.array()).put(sealed).array());
    }

    /** The campaign and key id an id names, unchecked (to find its key); null when it is not an id's shape. */
    public static Header header(String id) {
        byte[] raw = decode(id);
        if (raw == null || raw[0] != VERSION) {
            return null;
        }
        int kidLength = raw[9] & 0xff;
        if (kidLength == 0 || raw.length != 1 + 8 + 1 + kidLength + NONCE + SEALED) {
            return null;
        }
        return new Header(ByteBuffer.wrap(raw, 1, 8).getLong(), new String(raw, 10, kidLength, StandardCharsets.US_ASCII), raw);
    }

    /** What an id names in clear: its campaign and the id of the key that sealed it. */
    public record Header(long campaign, String kid, byte[] raw) {
    }

    /**
     * The click an id carries, or null when it is not one AdGrid made: malformed, or sealed by
     * another key, or changed.
     *
     * @param keys the key of a campaign and key id, or null when there is none
     */
    public static Click read(String id, BiFunction<Long, String, SecretKeySpec> keys) {
        Header h = header(id);
        if (h == null) {
            return null;
        }
        SecretKeySpec key = keys.apply(h.campaign(), h.kid());
        if (key == null) {
            return null;
        }
        int headerLength = h.raw().length - SEALED;
        byte[] clear;
        try {
            clear = crypt(Cipher.DECRYPT_MODE, key, Arrays.copyOf(h.raw(), headerLength),
                    Arrays.copyOfRange(h.raw(), headerLength, h.raw().length));
        } catch (IllegalArgumentException e) {
            return null; // the tag does not match
        }
        ByteBuffer b = ByteBuffer.wrap(clear);
        return new Click(h.campaign(), h.kid(), b.getLong(), b.getLong(), b.getLong());
    }

    private static byte[] decode(String id) {
        if (id == null || id.length() < 16 || id.length() > MAX_LENGTH) {
            return null;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                return null;
            }
        }
        try {
            return DECODER.decode(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** AES-GCM with the header as associated data and its last 12 bytes as the nonce. */
    private static byte[] crypt(int mode, SecretKeySpec campaignKey, byte[] header, byte[] input) {
        SecretKeySpec aes = new SecretKeySpec(Arrays.copyOf(BeaconSigner.mac(campaignKey, KEY_LABEL), 16), "AES");
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(mode, aes, new GCMParameterSpec(TAG_BITS, header, header.length - NONCE, NONCE));
            cipher.updateAAD(header);
            return cipher.doFinal(input);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("not sealed by this key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK without AES/GCM", e);
        }
    }
}
