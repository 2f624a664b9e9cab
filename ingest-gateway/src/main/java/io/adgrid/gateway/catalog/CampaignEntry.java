package io.adgrid.gateway.catalog;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SigningKey;
import net.openhft.chronicle.bytes.BytesIn;
import net.openhft.chronicle.bytes.BytesMarshallable;
import net.openhft.chronicle.bytes.BytesOut;

/**
 * A campaign's value in the persisted map: currency and keys (kid, secret bytes, retirement, legacy).
 * Format 1 (before contract v2) had no legacy flag: its keys are read as legacy, as the database
 * migration marks every key that existed before v2.
 * Read only when the store opens and written on refresh; validation uses the on-heap {@link Campaign}.
 * {@link #toString()} never shows a secret.
 */
final class CampaignEntry implements BytesMarshallable {

    private static final int FORMAT_V1 = 1;
    private static final int FORMAT = 2;

    private String currency = "";
    private final List<SigningKey> keys = new ArrayList<>();

    static CampaignEntry of(Campaign campaign) {
        CampaignEntry e = new CampaignEntry();
        e.currency = campaign.currency();
        e.keys.addAll(campaign.keys().values());
        return e;
    }

    Campaign toCampaign(long id) {
        Map<String, SigningKey> byKid = new HashMap<>();
        keys.forEach(k -> byKid.put(k.kid(), k));
        return new Campaign(id, currency, byKid);
    }

    @Override
    public void readMarshallable(BytesIn<?> in) {
        long format = in.readStopBit();
        if (format != FORMAT && format != FORMAT_V1) {
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
    }

    @Override
    public String toString() {
        return "CampaignEntry[currency=" + currency + ", keys=" + keys + "]";
    }
}
