package io.adgrid.gateway.catalog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.attribution.Attribution;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SigningKey;
import net.openhft.chronicle.bytes.BytesIn;
import net.openhft.chronicle.bytes.BytesMarshallable;
import net.openhft.chronicle.bytes.BytesOut;

/**
 * A campaign's value in the persisted map: currency, keys (kid, secret bytes, retirement, legacy) and
 * its own click attribution (parameter, window; each may be absent: the deployment's).
 * Format 1 (before contract v2) had no legacy flag: its keys are read as legacy, as the database
 * migration marks every key that existed before v2. Formats 1 and 2 had no attribution: theirs is the
 * deployment's, as for every campaign the database migration (V16) left without one.
 * Read only when the store opens and written on refresh; validation uses the on-heap {@link Campaign}.
 * {@link #toString()} never shows a secret.
 */
final class CampaignEntry implements BytesMarshallable {

    private static final int FORMAT_V1 = 1;
    private static final int FORMAT_V2 = 2;
    private static final int FORMAT = 3;

    private String currency = "";
    private final List<SigningKey> keys = new ArrayList<>();
    private Attribution attribution = Attribution.DEFAULTS;

    static CampaignEntry of(Campaign campaign) {
        CampaignEntry e = new CampaignEntry();
        e.currency = campaign.currency();
        e.keys.addAll(campaign.keys().values());
        e.attribution = campaign.attribution();
        return e;
    }

    Campaign toCampaign(long id) {
        Map<String, SigningKey> byKid = new HashMap<>();
        keys.forEach(k -> byKid.put(k.kid(), k));
        return new Campaign(id, currency, byKid, attribution);
    }

    @Override
    public void readMarshallable(BytesIn<?> in) {
        long format = in.readStopBit();
        if (format != FORMAT && format != FORMAT_V2 && format != FORMAT_V1) {
            throw new IllegalStateException("unknown campaign entry format");
        }
        currency = in.readUtf8();
        keys.clear();
        int n = (int) in.readStopBit();
        for (int i = 0; i < n; i++) {
            String kid = in.readUtf8();
            byte[] secret = new byte[(int) in.readStopBit()];
            in.read(secret);
            long retiredAt = in.readLong();
            boolean legacy = format == FORMAT_V1 || in.readBoolean();
            keys.add(SigningKey.of(kid, secret, retiredAt, legacy));
        }
        attribution = Attribution.DEFAULTS;
        if (format >= 3) {
            String clickParam = in.readBoolean() ? in.readUtf8() : null;
            long windowSeconds = in.readStopBit(); // 0: none of its own
            attribution = new Attribution(clickParam, windowSeconds == 0 ? null : Duration.ofSeconds(windowSeconds));
        }
    }

    @Override
    public void writeMarshallable(BytesOut<?> out) {
        out.writeStopBit(FORMAT);
        out.writeUtf8(currency);
        out.writeStopBit(keys.size());
        for (SigningKey k : keys) {
            byte[] secret = k.secret();
            out.writeUtf8(k.kid());
            out.writeStopBit(secret.length);
            out.write(secret);
            out.writeLong(k.retiredAtMillis());
            out.writeBoolean(k.legacy());
        }
        out.writeBoolean(attribution.clickParam() != null);
        if (attribution.clickParam() != null) {
            out.writeUtf8(attribution.clickParam());
        }
        out.writeStopBit(attribution.window() == null ? 0 : attribution.window().getSeconds());
    }

    @Override
    public String toString() {
        return "CampaignEntry[currency=" + currency + ", keys=" + keys + ", " + attribution + "]";
    }
}
