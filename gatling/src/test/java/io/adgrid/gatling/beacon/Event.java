package io.adgrid.gatling.beacon;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One countable event as an ad server renders it: a signed impression or click (identity: type, b, p, ts, n)
 * or a signed sale (identity: campaign and order). However many requests carry it (replays, retries, races),
 * the gateway must count it at most once, and exactly once when any of them got a 2xx.
 */
public final class Event {

    public final EventType type;
    public final long campaign;
    public final long banner;
    public final long publisher;
    /** Revenue in micros (10^-6 of the campaign currency), sales only. */
    public final long revenueMicros;
    /** The signed parameters, sig included, in name order. */
    public final Map<String, String> params;

    final AtomicBoolean accepted = new AtomicBoolean();
    final AtomicBoolean pending = new AtomicBoolean();
    /** Answers "202 accepted" (sales): more than one means the order was counted twice. */
    final AtomicInteger created = new AtomicInteger();

    public Event(EventType type, long campaign, long banner, long publisher, long revenueMicros, Map<String, String> params) {
        this.type = type;
        this.campaign = campaign;
        this.banner = banner;
        this.publisher = publisher;
        this.revenueMicros = revenueMicros;
        this.params = Collections.unmodifiableMap(new TreeMap<>(params));
    }

    public boolean isAccepted() {
        return accepted.get();
    }

    /** Marks the event accepted; true only the first time. */
    public boolean accept() {
        return accepted.compareAndSet(false, true);
    }

    /** Marks the event as waiting for a definite answer; true only the first time. */
    public boolean markPending() {
        return pending.compareAndSet(false, true);
    }

    /** Counts a "202 accepted" answer and returns how many this event got. */
    public int created() {
        return created.incrementAndGet();
    }

    public String id() {
        return type == EventType.SALE ? "sale order " + params.get("order") + " (campaign " + campaign + ")"
                : type.name().toLowerCase() + " b=" + banner + " n=" + params.get("n");
    }

    @Override
    public String toString() {
        return id();
    }
}
