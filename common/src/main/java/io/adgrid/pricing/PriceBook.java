package io.adgrid.pricing;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Every campaign's prices over time: the price in force at a minute is the one with the latest
 * {@code from} at or before it. Prices start at a UTC midnight, so a counter row of a minute, an
 * hour or a UTC day lies in one price period. Before a campaign's first price there is none (spend 0).
 */
public final class PriceBook {

    /** A price in force from {@code from} (a UTC midnight) until the campaign's next one. */
    public record Period(long campaignId, Instant from, Price price) {
        public Period {
            if (from.getEpochSecond() % 86_400 != 0 || from.getNano() != 0) {
                throw new IllegalArgumentException("a price starts at a UTC midnight, not " + from);
            }
        }
    }

    public static final PriceBook EMPTY = new PriceBook(List.of());

    private final Map<Long, NavigableMap<Long, Price>> byCampaign = new HashMap<>();

    public PriceBook(List<Period> periods) {
        for (Period p : periods) {
            byCampaign.computeIfAbsent(p.campaignId(), k -> new TreeMap<>()).put(p.from().getEpochSecond() / 60, p.price());
        }
    }

    /** The campaign's price during the epoch minute {@code minute}, or null when it has none then. */
    public Price at(long campaignId, long minute) {
        NavigableMap<Long, Price> prices = byCampaign.get(campaignId);
        if (prices == null) {
            return null;
        }
        Map.Entry<Long, Price> e = prices.floorEntry(minute);
        return e == null ? null : e.getValue();
    }

    /** The epoch minute the campaign's price in force during {@code minute} started, or Long.MIN_VALUE when it has none then. */
    public long periodStart(long campaignId, long minute) {
        NavigableMap<Long, Price> prices = byCampaign.get(campaignId);
        Long from = prices == null ? null : prices.floorKey(minute);
        return from == null ? Long.MIN_VALUE : from;
    }
}
