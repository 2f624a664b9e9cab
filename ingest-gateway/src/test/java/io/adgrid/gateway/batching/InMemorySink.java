package io.adgrid.gateway.batching;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import io.adgrid.event.EventType;
import io.adgrid.grid.port.GridEvent;

/**
 * A test double of {@link EventSink} that deduplicates like the grid: beacons by (type, idHi,
 * idLo), sales by (campaignId, orderId); and, like the grid, answers a click flagged by the gateway
 * or without an earlier impression of the same identity as a suspect click. It answers at once by default; it can hold answers back
 * until the test releases them, or refuse everything with {@link OverloadedException} (or any
 * other failure). Thread-safe.
 */
public final class InMemorySink implements EventSink {

    private record BeaconKey(EventType type, long idHi, long idLo) {
    }

    private record OrderKey(long campaignId, String orderId) {
    }

    private record Held(CompletableFuture<Outcome> future, Outcome outcome) {
    }

    private final Set<Object> seen = new HashSet<>();
    private final List<GridEvent> counted = new ArrayList<>();
    private final List<GridEvent> submitted = new ArrayList<>();
    private final List<Held> held = new ArrayList<>();
    private boolean holding;
    private RuntimeException failure;

    /** From now on, answers wait for {@link #release(int)} or {@link #releaseAll()}. */
    public synchronized InMemorySink holdAnswers() {
        holding = true;
        return this;
    }

    /** From now on, every submit fails with {@code failure} and nothing is counted. */
    public synchronized InMemorySink failWith(RuntimeException failure) {
        this.failure = failure;
        return this;
    }

    @Override
    public CompletableFuture<Outcome> submit(GridEvent event) {
        CompletableFuture<Outcome> future = new CompletableFuture<>();
        Outcome outcome;
        synchronized (this) {
            submitted.add(event);
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            Object key = event.type() == EventType.SALE
                    ? new OrderKey(event.campaignId(), event.orderId())
                    : new BeaconKey(event.type(), event.idHi(), event.idLo());
            outcome = !seen.add(key) ? Outcome.DUPLICATE
                    : event.type() == EventType.CLICK && !event.invalid() && (event.suspect()
                            || !seen.contains(new BeaconKey(EventType.IMPRESSION, event.idHi(), event.idLo()))) ? Outcome.SUSPECT
                    : Outcome.COUNTED;
            if (outcome != Outcome.DUPLICATE) {
                counted.add(event);
            }
            if (holding) {
                held.add(new Held(future, outcome));
                return future;
            }
        }
        future.complete(outcome);
        return future;
    }

    /** Completes the {@code index}-th held answer (in submit order). */
    public void release(int index) {
        Held h;
        synchronized (this) {
            h = held.get(index);
        }
        h.future().complete(h.outcome());
    }

    public void releaseAll() {
        List<Held> all;
        synchronized (this) {
            all = List.copyOf(held);
            holding = false;
        }
        all.forEach(h -> h.future().complete(h.outcome()));
    }

    public synchronized int heldCount() {
        return held.size();
    }

    /** Events counted once each, suspect clicks included (duplicates left out). */
    public synchronized List<GridEvent> counted() {
        return List.copyOf(counted);
    }

    /** Every event that reached the sink, duplicates and failures included. */
    public synchronized List<GridEvent> submitted() {
        return List.copyOf(submitted);
    }
}
