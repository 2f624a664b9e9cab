package io.adgrid.gatling.exactness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import io.adgrid.gatling.beacon.Event;

/**
 * What the simulation was promised: every distinct event that got a 2xx, per campaign and per banner.
 * A replay or retry of an event already booked books nothing. Events whose requests got no definite answer
 * (timeout, 5xx, 503) wait in {@link #unresolved()} until the settle step re-sends them.
 */
public final class Ledger {

    private static final int MAX_VIOLATIONS_KEPT = 50;

    private final Map<Target, Counter> counters = new ConcurrentHashMap<>();
    private final Queue<Event> pending = new ConcurrentLinkedQueue<>();
    private final LongAdder accepted = new LongAdder();
    private final AtomicLong violationCount = new AtomicLong();
    private final List<String> violations = new ArrayList<>();
    private final List<String> undetermined = new ArrayList<>();

    /** Books the event if it is the first 2xx for it. */
    public void accept(Event e) {
        if (e == null || !e.accept()) {
            return;
        }
        accepted.increment();
        counter(Target.campaign(e.campaign)).add(e);
        counter(Target.banner(e.banner)).add(e);
    }

    /** The event's request got no definite answer; unless already booked, it waits for the settle step. */
    public void pending(Event e) {
        if (!e.isAccepted() && e.markPending()) {
            pending.add(e);
        }
    }

    /** Events never answered 2xx although some request of theirs got no definite answer. */
    public List<Event> unresolved() {
        List<Event> out = new ArrayList<>();
        for (Event e : pending) {
            if (!e.isAccepted()) {
                out.add(e);
            }
        }
        return out;
    }

    /** The settle step could not get a definite answer for the event: whether it counts is unknown. */
    public synchronized void undetermined(Event e, String why) {
        undetermined.add(e.id() + ": " + why);
    }

    public synchronized List<String> undetermined() {
        return List.copyOf(undetermined);
    }

    /** A broken promise seen on the wire (a second 202 for an order, a refused request answered 2xx, ...). */
    public void violation(String what) {
        violationCount.incrementAndGet();
        synchronized (violations) {
            if (violations.size() < MAX_VIOLATIONS_KEPT) {
                violations.add(what);
            }
        }
    }

    public long violationCount() {
        return violationCount.get();
    }

    public List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    public Totals totals(Target t) {
        Counter c = counters.get(t);
        return c == null ? Totals.ZERO : c.totals();
    }

    /** Distinct events booked. */
    public long acceptedEvents() {
        return accepted.sum();
    }

    private Counter counter(Target t) {
        return counters.computeIfAbsent(t, k -> new Counter());
    }

    private static final class Counter {
        final LongAdder impressions = new LongAdder();
        final LongAdder clicks = new LongAdder();
        final LongAdder conversions = new LongAdder();
        final LongAdder revenueMicros = new LongAdder();

        void add(Event e) {
            switch (e.type) {
                case IMPRESSION -> impressions.increment();
                case CLICK -> clicks.increment();
                case SALE -> {
                    conversions.increment();
                    revenueMicros.add(e.revenueMicros);
                }
                default -> throw new IllegalStateException(e.type.name());
            }
        }

        Totals totals() {
            return new Totals(impressions.sum(), clicks.sum(), conversions.sum(), revenueMicros.sum());
        }
    }
}
