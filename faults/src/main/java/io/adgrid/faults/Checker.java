package io.adgrid.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Decides whether a history is legal against what AdGrid counted, once every fault is healed.
 * Per event: acknowledged (some 2xx) must be counted exactly once, refused (only 4xx or a refused
 * single beacon) never, unknown (no answer, never acknowledged) at most once. So per key, campaign
 * and metric the count must lie in [acknowledged, acknowledged + unknown], and equal the
 * acknowledged sum where nothing was unknown; revenue likewise, to the micro. Answers are checked
 * too: an event sent again after its acknowledgement must be answered as a duplicate where the
 * protocol says so (sales, {@code /events}), and a first send must not be.
 */
final class Checker {

    enum Source { LIVE, FLUSHED, SQL }

    /** What AdGrid reported: per campaign from the reporting API (live, after a flush) and SQL, per key from SQL. */
    record Observed(Map<Long, Totals> liveByCampaign, Map<Long, Totals> flushedByCampaign, Map<Long, Totals> sqlByCampaign,
                    Map<Event.Key, Totals> sqlByKey) {
    }

    record Anomaly(String kind, String where, String detail, List<String> eventIds) {
        @Override
        public String toString() {
            return kind + " " + where + ": " + detail;
        }
    }

    /** The legal range of one key's or campaign's totals. */
    record Bounds(Totals low, Totals high) {
        static final Bounds ZERO = new Bounds(Totals.ZERO, Totals.ZERO);

        Bounds plus(Totals definite, Totals maybe) {
            return new Bounds(low.plus(definite), high.plus(definite).plus(maybe));
        }
    }

    private final Map<String, Event> events;
    private final Map<String, List<Attempt>> attemptsByEvent;

    Checker(List<Event> events, List<Attempt> attempts) {
        this.events = events.stream().collect(Collectors.toMap(Event::id, Function.identity(), (a, b) -> a, LinkedHashMap::new));
        this.attemptsByEvent = attempts.stream().sorted(Comparator.comparingLong(Attempt::atMillis))
                .collect(Collectors.groupingBy(Attempt::eventId, HashMap::new, Collectors.toList()));
    }

    /** What the history says about one event in the end. */
    enum Fate { ACKNOWLEDGED, UNKNOWN, REFUSED, NEVER_SENT }

    Fate fate(String eventId) {
        List<Attempt> attempts = attemptsByEvent.getOrDefault(eventId, List.of());
        if (attempts.stream().anyMatch(a -> a.outcome().acknowledged())) {
            return Fate.ACKNOWLEDGED;
        }
        if (attempts.stream().anyMatch(a -> a.outcome() == Attempt.Outcome.UNKNOWN)) {
            return Fate.UNKNOWN;
        }
        return attempts.isEmpty() ? Fate.NEVER_SENT : Fate.REFUSED;
    }

    Map<Event.Key, Bounds> boundsByKey() {
        Map<Event.Key, Bounds> bounds = new TreeMap<>(Comparator.comparingLong(Event.Key::banner).thenComparingLong(Event.Key::publisher));
        for (Event e : events.values()) {
            bounds.merge(e.key(), bound(e), (a, b) -> new Bounds(a.low().plus(b.low()), a.high().plus(b.high())));
        }
        return bounds;
    }

    Map<Long, Bounds> boundsByCampaign() {
        Map<Long, Bounds> bounds = new TreeMap<>();
        for (Event e : events.values()) {
            bounds.merge(e.campaign(), bound(e), (a, b) -> new Bounds(a.low().plus(b.low()), a.high().plus(b.high())));
        }
        return bounds;
    }

    private Bounds bound(Event e) {
        return switch (fate(e.id())) {
            case ACKNOWLEDGED -> Bounds.ZERO.plus(Totals.of(e), Totals.ZERO);
            case UNKNOWN -> Bounds.ZERO.plus(Totals.ZERO, Totals.of(e));
            case REFUSED, NEVER_SENT -> Bounds.ZERO;
        };
    }

    List<Anomaly> check(Observed observed) {
        List<Anomaly> anomalies = new ArrayList<>(answers());
        Map<Long, Bounds> byCampaign = boundsByCampaign();
        for (Long campaign : union(byCampaign.keySet(), observed.liveByCampaign().keySet(), observed.flushedByCampaign().keySet(),
                observed.sqlByCampaign().keySet())) {
            Bounds b = byCampaign.getOrDefault(campaign, Bounds.ZERO);
            compare(anomalies, Source.LIVE, "campaign " + campaign, b, observed.liveByCampaign().getOrDefault(campaign, Totals.ZERO),
                    e -> e.campaign() == campaign);
            compare(anomalies, Source.FLUSHED, "campaign " + campaign, b, observed.flushedByCampaign().getOrDefault(campaign, Totals.ZERO),
                    e -> e.campaign() == campaign);
            compare(anomalies, Source.SQL, "campaign " + campaign, b, observed.sqlByCampaign().getOrDefault(campaign, Totals.ZERO),
                    e -> e.campaign() == campaign);
        }
        Map<Event.Key, Bounds> byKey = boundsByKey();
        for (Event.Key key : union(byKey.keySet(), observed.sqlByKey().keySet())) {
            compare(anomalies, Source.SQL, "key " + key, byKey.getOrDefault(key, Bounds.ZERO),
                    observed.sqlByKey().getOrDefault(key, Totals.ZERO), e -> e.key().equals(key));
        }
        return anomalies;
    }

    @SafeVarargs
    private static <T> List<T> union(java.util.Collection<T>... sets) {
        java.util.LinkedHashSet<T> all = new java.util.LinkedHashSet<>();
        for (java.util.Collection<T> s : sets) {
            all.addAll(s);
        }
        return new ArrayList<>(all);
    }

    private void compare(List<Anomaly> anomalies, Source source, String where, Bounds b, Totals seen,
                         java.util.function.Predicate<Event> inScope) {
        long[] low = b.low().values();
        long[] high = b.high().values();
        long[] got = seen.values();
        for (int m = 0; m < got.length; m++) {
            if (got[m] >= low[m] && got[m] <= high[m]) {
                continue;
            }
            String metric = Totals.NAMES[m];
            String kind = got[m] < low[m] ? "LOST" : "DOUBLED";
            String range = low[m] == high[m] ? Long.toString(low[m]) : "[" + low[m] + ", " + high[m] + "]";
            anomalies.add(new Anomaly(kind, where + " " + metric + " (" + source.name().toLowerCase() + ")",
                    "expected " + range + " from the history, counted " + got[m] + " (" + (got[m] - (got[m] < low[m] ? low[m] : high[m])) + ")",
                    suspects(inScope, m)));
        }
    }

    /** The events most likely behind a miscount: unknown fates, replays and retried ones first. */
    private List<String> suspects(java.util.function.Predicate<Event> inScope, int metric) {
        return events.values().stream().filter(inScope).filter(e -> Totals.of(e).values()[metric] != 0)
                .sorted(Comparator.comparingInt((Event e) -> -suspicion(e)).thenComparingLong(e -> firstAt(e.id())))
                .limit(8).map(Event::id).toList();
    }

    private int suspicion(Event e) {
        List<Attempt> attempts = attemptsByEvent.getOrDefault(e.id(), List.of());
        int score = fate(e.id()) == Fate.UNKNOWN ? 100 : 0;
        for (Attempt a : attempts) {
            score += a.outcome() == Attempt.Outcome.UNKNOWN ? 10 : a.outcome() == Attempt.Outcome.REFUSED ? 5 : a.replay() ? 3 : 0;
        }
        return score;
    }

    private long firstAt(String eventId) {
        List<Attempt> attempts = attemptsByEvent.getOrDefault(eventId, List.of());
        return attempts.isEmpty() ? Long.MAX_VALUE : attempts.get(0).atMillis();
    }

    /** Answers that break the contract whatever the totals say. */
    private List<Anomaly> answers() {
        List<Anomaly> anomalies = new ArrayList<>();
        for (Map.Entry<String, List<Attempt>> entry : attemptsByEvent.entrySet()) {
            boolean earlierMayHaveCounted = false;
            boolean earlierAcknowledged = false;
            for (Attempt a : entry.getValue()) {
                // A replay of a line every earlier attempt refused (or left unknown) may count it: only after an acknowledgement is "counted now" wrong.
                if (a.replay() && earlierAcknowledged && a.outcome() == Attempt.Outcome.ACCEPTED) {
                    anomalies.add(new Anomaly("REPLAY_ANSWERED_AS_NEW", a.path() + " " + entry.getKey(),
                            "sent again after its acknowledgement, answered " + a.status() + " as counted now", List.of(entry.getKey())));
                }
                if (!earlierMayHaveCounted && a.outcome() == Attempt.Outcome.DUPLICATE) {
                    anomalies.add(new Anomaly("NEW_ANSWERED_AS_DUPLICATE", a.path() + " " + entry.getKey(),
                            "no earlier attempt could have counted it, answered " + a.status() + " duplicate", List.of(entry.getKey())));
                }
                if (a.status() >= 500 && a.status() != 503) {
                    anomalies.add(new Anomaly("SERVER_ERROR", a.path() + " " + entry.getKey(),
                            "answered " + a.status() + " (the contract allows only 503 with Retry-After)", List.of(entry.getKey())));
                }
                earlierMayHaveCounted |= a.outcome() != Attempt.Outcome.REFUSED;
                earlierAcknowledged |= a.outcome().acknowledged();
            }
        }
        anomalies.sort(Comparator.comparing(Anomaly::kind).thenComparing(Anomaly::where));
        return anomalies;
    }

    /** An event and its attempts, one line each, for a failure report. */
    String describe(String eventId) {
        Event e = events.get(eventId);
        StringBuilder sb = new StringBuilder(eventId + " " + (e == null ? "?" : e.kind() + " " + e.key() + " campaign " + e.campaign()
                + (e.kind() == Event.Kind.SALE ? " amount " + java.math.BigDecimal.valueOf(e.amountMicros(), 6).stripTrailingZeros().toPlainString() : ""))
                + " fate " + fate(eventId));
        for (Attempt a : attemptsByEvent.getOrDefault(eventId, List.of())) {
            sb.append("\n      ").append(java.time.Instant.ofEpochMilli(a.atMillis())).append(' ').append(a.path()).append(" via ").append(a.gateway())
                    .append(a.replay() ? " replay" : "").append(" -> ").append(a.status()).append(' ').append(a.outcome())
                    .append(" (request ").append(a.request()).append(')');
        }
        return sb.toString();
    }

    Map<Fate, Long> fates() {
        Map<Fate, Long> fates = new TreeMap<>();
        events.keySet().forEach(id -> fates.merge(fate(id), 1L, Long::sum));
        return fates;
    }
}
