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
import java.util.concurrent.CopyOnWriteArrayList;
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

    private final Deque<Event> kept = new ArrayDeque<>();
    private final Map<Long, Pacing> current = new TreeMap<>();
    private final List<SseEmitter> subscribers = new CopyOnWriteArrayList<>();
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
            for (SseEmitter s : subscribers) {
                send(s, e);
            }
        }
    }

    /** Opens a stream: the missed changes after {@code lastEventId}, or every current state, then each change. */
    public synchronized SseEmitter subscribe(String lastEventId) {
        SseEmitter emitter = new SseEmitter(timeoutMillis);
        emitter.onCompletion(() -> subscribers.remove(emitter));
        emitter.onTimeout(() -> subscribers.remove(emitter));
        emitter.onError(t -> subscribers.remove(emitter));
        Long resume = parse(lastEventId);
        long oldest = kept.isEmpty() ? lastId + 1 : kept.peekFirst().id();
        if (resume != null && resume >= oldest - 1 && resume <= lastId) {
            for (Event e : kept) {
                if (e.id() > resume) {
                    send(emitter, e);
                }
            }
        } else {
            // every current state, under the latest id: a reconnect with it resumes from here
            for (Pacing p : current.values()) {
                send(emitter, new Event(lastId, p));
            }
        }
        subscribers.add(emitter);
        return emitter;
    }

    /** A comment line to every subscriber, so proxies keep the stream open and dead clients are found. */
    public synchronized void heartbeat() {
        for (SseEmitter s : subscribers) {
            try {
                s.send(SseEmitter.event().comment("keep-alive"));
            } catch (IOException | IllegalStateException e) {
                subscribers.remove(s);
            }
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
        subscribers.forEach(SseEmitter::complete);
        subscribers.clear();
    }

    private void send(SseEmitter s, Event e) {
        try {
            s.send(SseEmitter.event().id(Long.toString(e.id())).name(EVENT).data(e.data(), MediaType.APPLICATION_JSON));
        } catch (IOException | IllegalStateException ex) {
            log.debug("pacing stream: a subscriber left ({})", ex.toString());
            subscribers.remove(s);
        }
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
