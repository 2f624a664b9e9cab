package io.adgrid.grid.port;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.adgrid.event.EventType;

/**
 * One validated event on its way into the grid.
 *
 * @param idHi   with {@code idLo}: the first 128 bits of the rendering's identity, HMAC(key, v1 string)
 *               ({@code BeaconSigner.verify}): the identity for replay dedup (the grid mixes the type in),
 *               equal only for the same rendering (same b, p, ts, n). A click and the impression of one
 *               rendering carry the same bits whatever their signatures: that is how the grid finds a
 *               click's impression.
 * @param orderId the sale's order id, null for impressions and clicks
 * @param suspect a click the gateway already judged suspect (too many clicks from its client IP); the
 *                grid counts it in {@code suspectClicks} instead of {@code clicks}
 * @param invalid an impression or click from a known robot (the gateway judged its User-Agent): the
 *                grid deduplicates it like any beacon and counts it in {@code invalid}, never billed
 * @param user    the hash of the impression's pseudonymous user id ({@code u}, {@code Reach#userHash}) for
 *                unique reach; 0 without one
 */
public record GridEvent(EventType type, long campaignId, long bannerId, long publisherId, long tsMillis,
                        long idHi, long idLo, String orderId, long amountMicros, boolean suspect, boolean invalid, long user) {

    private static final int SUSPECT = 1;
    private static final int INVALID = 2;
    private static final int HAS_USER = 4;

    public GridEvent(EventType type, long campaignId, long bannerId, long publisherId, long tsMillis,
                     long idHi, long idLo, String orderId, long amountMicros) {
        this(type, campaignId, bannerId, publisherId, tsMillis, idHi, idLo, orderId, amountMicros, false, false, 0);
    }

    /** The same event, marked suspect by the gateway. */
    public GridEvent asSuspect() {
        return new GridEvent(type, campaignId, bannerId, publisherId, tsMillis, idHi, idLo, orderId, amountMicros, true, invalid, user);
    }

    /** The same impression or click, from a known robot. */
    public GridEvent asInvalid() {
        return new GridEvent(type, campaignId, bannerId, publisherId, tsMillis, idHi, idLo, orderId, amountMicros, suspect, true, user);
    }

    /** The same impression, seen by the user whose id hashes to {@code userHash} (0: none). */
    public GridEvent withUser(long userHash) {
        return new GridEvent(type, campaignId, bannerId, publisherId, tsMillis, idHi, idLo, orderId, amountMicros, suspect, invalid, userHash);
    }

    /** The UTC day (epoch day) of the event's ts. */
    public long day() {
        return Math.floorDiv(tsMillis, 86_400_000L);
    }

    public long minute() {
        return Math.floorDiv(tsMillis, 60_000L);
    }

    public CounterKey counterKey() {
        return new CounterKey(minute(), campaignId, bannerId, publisherId);
    }

    /** The routing key of the grid entry that owns this event: the banner, or for a sale the campaign (orders are deduplicated per campaign). */
    public long routeKey() {
        return type == EventType.SALE ? RouteKeys.campaign(campaignId) : RouteKeys.banner(bannerId);
    }

    /**
     * The event's bytes, in the grid's operations and in the members' journals alike: an impression
     * or a click ends with a byte of flags (suspect, invalid, has a user), then the user's hash if any.
     */
    public void writeTo(DataOutput out) throws IOException {
        out.writeByte(type.code());
        out.writeLong(campaignId);
        out.writeLong(bannerId);
        out.writeLong(publisherId);
        out.writeLong(tsMillis);
        out.writeLong(idHi);
        out.writeLong(idLo);
        if (type == EventType.SALE) {
            byte[] order = orderId.getBytes(StandardCharsets.UTF_8);
            out.writeInt(order.length);
            out.write(order);
            out.writeLong(amountMicros);
        } else {
            out.writeByte((suspect ? SUSPECT : 0) | (invalid ? INVALID : 0) | (user != 0 ? HAS_USER : 0));
            if (user != 0) {
                out.writeLong(user);
            }
        }
    }

    public static GridEvent readFrom(DataInput in) throws IOException {
        return readFrom(in, false);
    }

    /**
     * @param firstFormat the bytes of a journal written before invalid traffic, where an impression
     *                    has no flags and a click only its suspect flag (a boolean: the same byte)
     */
    public static GridEvent readFrom(DataInput in, boolean firstFormat) throws IOException {
        EventType type = EventType.ofCode(in.readByte());
        long campaign = in.readLong();
        long banner = in.readLong();
        long publisher = in.readLong();
        long ts = in.readLong();
        long hi = in.readLong();
        long lo = in.readLong();
        String order = null;
        long amount = 0;
        int flags = 0;
        long user = 0;
        if (type == EventType.SALE) {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            order = new String(bytes, StandardCharsets.UTF_8);
            amount = in.readLong();
        } else if (type == EventType.CLICK || !firstFormat) {
            flags = in.readByte();
            if ((flags & HAS_USER) != 0) {
                user = in.readLong();
            }
        }
        return new GridEvent(type, campaign, banner, publisher, ts, hi, lo, order, amount, (flags & SUSPECT) != 0, (flags & INVALID) != 0,
                user);
    }
}
