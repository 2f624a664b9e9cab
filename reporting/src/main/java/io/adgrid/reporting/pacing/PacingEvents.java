package io.adgrid.reporting.pacing;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The pacing stream: every change of a campaign's state gets the next event id and goes to every
 * subscriber. The last {@link #KEPT} changes are kept, so a client reconnecting with
 * {@code Last-Event-ID} gets the ones it missed; a client without one, or with an id this process
 * does not know (too old, from before a restart), gets every campaign's current state instead.
 *
 * <p>Events are written to each subscriber by a pool thread, so a slow client never holds up the
 * monitor or the others.
 *
 * <p>Ids start at the process's start time in microseconds, so the ids of a restarted process are
 * above the old ones and an id from an earlier process is recognised as unknown.
 */
public final class PacingEvents {

    private static final Logger log = LoggerFactory.getLogger(PacingEvents.class);
    /** Changes kept for reconnecting clients. */
    static final int KEPT = 4096;
    static final String EVENT = "pacing";

    private record Event(long id, Pacing data) {
    }

    /**
     * One stream. Its events are written by a pool thread, in order, never by the monitor: a client
     * that reads slowly (or not at all) delays only itself. Past {@link #BACKLOG} unwritten events its
     * stream is ended; the client reconnects with Last-Event-ID and gets what it missed.
     */
    private final class Subscriber {
        private final SseEmitter emitter;
        private final Queue<Object> backlog = new ConcurrentLinkedQueue<>();
        private final AtomicInteger size = new AtomicInteger();
        private final AtomicBoolean draining = new AtomicBoolean();
        private volatile boolean closed;

        Subscriber(SseEmitter emitter) {
            this.emitter = emitter;
        }

        /** @param item an {@link Event} or {@link #HEARTBEAT} */
        void offer(Object item) {
            if (closed) {
                return;
            }
            if (size.incrementAndGet() > BACKLOG) {
                log.info("pacing stream: a subscriber fell {} events behind; its stream is ended (it resumes with Last-Event-ID)", BACKLOG);
                close();
                emitter.complete();
                return;
            }
            backlog.add(item);
            if (draining.compareAndSet(false, true)) {
                try {
                    writers.execute(this::drain);
                } catch (RejectedExecutionException e) {
                    close(); // shutting down
                }
            }
        }

        private void drain() {
            try {
                Object item;
                while (!closed && (item = backlog.poll()) != null) {
                    size.decrementAndGet();
                    try {
                        if (item instanceof Event e) {
                            emitter.send(SseEmitter.event().id(Long.toString(e.id())).name(EVENT).data(e.data(), MediaType.APPLICATION_JSON));
                        } else {
                            emitter.send(SseEmitter.event().comment("keep-alive"));
                        }
                    } catch (IOException | IllegalStateException ex) {
                        log.debug("pacing stream: a subscriber left ({})", ex.toString());
                        close();
                    }
                }
            } finally {
                draining.set(false);
                if (!closed && !backlog.isEmpty() && draining.compareAndSet(false, true)) {
                    try {
                        writers.execute(this::drain);
                    } catch (RejectedExecutionException e) {
                        close(); // shutting down
                    }
                }
            }
        }

        void close() {
            closed = true;
            subscribers.remove(this);
        }
    }

    private static final Object HEARTBEAT = new Object();
    /** Unwritten events one subscriber may hold before its stream is ended. */
    static final int BACKLOG = 10_000;

    private final Deque<Event> kept = new ArrayDeque<>();
    private final Map<Long, Pacing> current = new TreeMap<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final ExecutorService writers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "adgrid-pacing-stream");
        t.setDaemon(true);
        return t;
    });
    private final long timeoutMillis;
    private long lastId;

    public PacingEvents(Clock clock, long timeoutMillis) {
        this.lastId = clock.millis() * 1000;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * The latest figures of every campaign with a budget (or whose budget was just removed), and
     * those among them whose state changed: each change becomes an event.
     */
    public synchronized void update(Collection<Pacing> latest, List<Pacing> changes, Collection<Long> gone) {
        gone.forEach(current::remove);
        latest.forEach(p -> current.put(p.campaign(), p));
        for (Pacing p : changes) {
            Event e = new Event(++lastId, p);
            kept.addLast(e);
            if (kept.size() > KEPT) {
                kept.removeFirst();
            }
            for (Subscriber s : subscribers) {
                s.offer(e);
            }
        }
    }

    /** Opens a stream: the missed changes after {@code lastEventId}, or every current state, then each change. */
    public synchronized SseEmitter subscribe(String lastEventId) {
        SseEmitter emitter = new SseEmitter(timeoutMillis);
        Subscriber subscriber = new Subscriber(emitter);
        emitter.onCompletion(subscriber::close);
        emitter.onTimeout(subscriber::close);
        emitter.onError(t -> subscriber.close());
        Long resume = parse(lastEventId);
        long oldest = kept.isEmpty() ? lastId + 1 : kept.peekFirst().id();
        if (resume != null && resume >= oldest - 1 && resume <= lastId) {
            for (Event e : kept) {
                if (e.id() > resume) {
                    subscriber.offer(e);
                }
            }
        } else {
            // every current state, under the latest id: a reconnect with it resumes from here
            for (Pacing p : current.values()) {
                subscriber.offer(new Event(lastId, p));
            }
        }
        subscribers.add(subscriber);
        return emitter;
    }

    /** A comment line to every subscriber, so proxies keep the stream open and dead clients are found. */
    public synchronized void heartbeat() {
        for (Subscriber s : subscribers) {
            s.offer(HEARTBEAT);
        }
    }

    /** Every campaign's latest figures. */
    public synchronized List<Pacing> current() {
        return new ArrayList<>(current.values());
    }

    public synchronized Pacing current(long campaign) {
        return current.get(campaign);
    }

    public int subscribers() {
        return subscribers.size();
    }

    /** Ends every stream (at shutdown: clients reconnect to another process). */
    public synchronized void completeAll() {
        for (Subscriber s : subscribers) {
            s.close();
            s.emitter.complete();
        }
        subscribers.clear();
        writers.shutdown();
    }

    private static Long parse(String id) {
        if (id == null || id.isBlank() || id.length() > 19) {
            return null;
        }
        try {
            return Long.parseLong(id.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
