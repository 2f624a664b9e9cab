package io.adgrid.gatling.beacon;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Plays the ad server: renders views with a fresh nonce each and signs impressions, clicks and sales with
 * the campaign's secret. Nonces and order ids start with a per-run id, so no two runs share an identity.
 */
public final class Renderer {

    private final Catalog catalog;
    private final String runId;
    private final AtomicLong sequence = new AtomicLong();

    public Renderer(Catalog catalog) {
        this.catalog = catalog;
        this.runId = Long.toString(System.currentTimeMillis(), 36) + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    }

    public Catalog catalog() {
        return catalog;
    }

    public String runId() {
        return runId;
    }

    public View view(long banner) {
        return new View(banner, catalog.campaignOf(banner), catalog.publisher(ThreadLocalRandom.current()),
                System.currentTimeMillis(), nonce());
    }

    public View popularView() {
        return view(catalog.popularBanner(ThreadLocalRandom.current()));
    }

    public String nonce() {
        return runId + "." + Long.toString(sequence.incrementAndGet(), 36);
    }

    public String orderId() {
        return "o-" + runId + "-" + Long.toString(sequence.incrementAndGet(), 36);
    }

    public Event impression(View v) {
        return beacon(EventType.IMPRESSION, v);
    }

    /** The click of a view: same b, p, ts and n as its impression, signed for /c (the click of its rendering). */
    public Event click(View v) {
        return beacon(EventType.CLICK, v);
    }

    private Event beacon(EventType type, View v) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", Long.toString(v.banner()));
        p.put("p", Long.toString(v.publisher()));
        p.put("ts", Long.toString(v.ts()));
        p.put("n", v.nonce());
        return new Event(type, v.campaign(), v.banner(), v.publisher(), 0, Signer.signed(catalog.keyOf(v.campaign()), type.path, p));
    }

    /** A sale after a click on the view: a fresh order, an amount of 1.00 to 250.00, ts now. */
    public Event sale(View v) {
        long cents = 100 + ThreadLocalRandom.current().nextLong(24_901);
        return sale(v.banner(), v.publisher(), orderId(), BigDecimal.valueOf(cents, 2), System.currentTimeMillis());
    }

    public Event sale(long banner, long publisher, String order, BigDecimal amount, long ts) {
        long campaign = catalog.campaignOf(banner);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", Long.toString(banner));
        p.put("p", Long.toString(publisher));
        p.put("order", order);
        p.put("amount", amount.toPlainString());
        p.put("ts", Long.toString(ts));
        return new Event(EventType.SALE, campaign, banner, publisher, amount.movePointRight(6).longValueExact(),
                Signer.signed(catalog.keyOf(campaign), EventType.SALE.path, p));
    }

    /** The same order re-signed later (a postback retried by an ad server that re-renders it): a duplicate. */
    public Map<String, String> resigned(Event sale) {
        Map<String, String> p = new LinkedHashMap<>(sale.params);
        p.put("ts", Long.toString(System.currentTimeMillis()));
        return Signer.signed(catalog.keyOf(sale.campaign), EventType.SALE.path, p);
    }

    /** Parameters signed for {@code type} with the given campaign's key (for requests built by hand, e.g. hostile ones). */
    public Map<String, String> signed(long campaign, EventType type, Map<String, String> params) {
        return Signer.signed(catalog.keyOf(campaign), type.path, params);
    }
}
