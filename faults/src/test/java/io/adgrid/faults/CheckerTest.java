package io.adgrid.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.faults.Attempt.Outcome;
import org.junit.jupiter.api.Test;

class CheckerTest {

    private final List<Event> events = new ArrayList<>();
    private final List<Attempt> attempts = new ArrayList<>();
    private long clock = 1_000;

    private Event event(String id, Event.Kind kind, long banner, long micros) {
        Event e = new Event(id, kind, banner, 1, (banner - 1) % 10 + 1, micros);
        events.add(e);
        return e;
    }

    private void attempt(Event e, String path, boolean replay, int status, Outcome outcome) {
        attempts.add(new Attempt(clock++, "r" + clock, e.id(), path, "g", replay, status, outcome));
    }

    /** What AdGrid would report if it counted exactly {@code counted}, in every source. */
    private Checker.Observed observed(List<Event> counted) {
        Map<Long, Totals> byCampaign = new TreeMap<>();
        Map<Event.Key, Totals> byKey = new TreeMap<>(java.util.Comparator.comparingLong(Event.Key::banner).thenComparingLong(Event.Key::publisher));
        for (Event e : counted) {
            byCampaign.merge(e.campaign(), Totals.of(e), Totals::plus);
            byKey.merge(e.key(), Totals.of(e), Totals::plus);
        }
        return new Checker.Observed(byCampaign, byCampaign, byCampaign, byKey);
    }

    private List<Checker.Anomaly> check(List<Event> counted) {
        return new Checker(events, attempts).check(observed(counted));
    }

    @Test
    void everyAcknowledgedEventCountedOnceIsLegal() {
        Event i = event("i:1", Event.Kind.IMPRESSION, 7, 0);
        attempt(i, "/i", false, -1, Outcome.UNKNOWN);
        attempt(i, "/i", false, 503, Outcome.REFUSED);
        attempt(i, "/i", false, 200, Outcome.ACKED);
        Event s = event("s:1", Event.Kind.SALE, 7, 12_500_000);
        attempt(s, "/s", false, 202, Outcome.ACCEPTED);
        attempt(s, "/s", true, 200, Outcome.DUPLICATE);
        assertThat(check(List.of(i, s))).isEmpty();
    }

    @Test
    void anAcknowledgedEventCountedTwiceIsDoubled() {
        Event i = event("i:1", Event.Kind.IMPRESSION, 7, 0);
        attempt(i, "/i", false, 200, Outcome.ACKED);
        List<Checker.Anomaly> anomalies = check(List.of(i, i));
        assertThat(anomalies).extracting(Checker.Anomaly::kind).containsOnly("DOUBLED");
        // live, after flush and in SQL per campaign, and in SQL per key
        assertThat(anomalies).hasSize(4);
        assertThat(anomalies.get(0).eventIds()).containsExactly("i:1");
    }

    @Test
    void anAcknowledgedEventNotCountedIsLost() {
        Event c = event("c:1", Event.Kind.CLEAN_CLICK, 3, 0);
        attempt(c, "/c", false, 302, Outcome.ACKED);
        assertThat(check(List.of())).extracting(Checker.Anomaly::kind).containsOnly("LOST");
    }

    @Test
    void aRefusedEventMustNeverBeCounted() {
        Event i = event("i:1", Event.Kind.IMPRESSION, 7, 0);
        attempt(i, "/i", false, 503, Outcome.REFUSED);
        assertThat(check(List.of())).isEmpty();
        assertThat(check(List.of(i))).extracting(Checker.Anomaly::kind).containsOnly("DOUBLED");
    }

    @Test
    void anUnknownEventMayBeCountedOnceButNotTwice() {
        Event i = event("i:1", Event.Kind.IMPRESSION, 7, 0);
        attempt(i, "/i", false, -1, Outcome.UNKNOWN);
        assertThat(check(List.of())).isEmpty();
        assertThat(check(List.of(i))).isEmpty();
        assertThat(check(List.of(i, i))).extracting(Checker.Anomaly::kind).containsOnly("DOUBLED");
    }

    @Test
    void aCleanClickCountedAsSuspectIsReportedOnBothMetrics() {
        Event clean = event("c:1", Event.Kind.CLEAN_CLICK, 7, 0);
        attempt(clean, "/c", false, 302, Outcome.ACKED);
        Event asSuspect = new Event("c:1", Event.Kind.SUSPECT_CLICK, 7, 1, 7, 0);
        List<Checker.Anomaly> anomalies = check(List.of(asSuspect));
        assertThat(anomalies).extracting(Checker.Anomaly::where).anyMatch(w -> w.contains("clicks (live)"))
                .anyMatch(w -> w.contains("suspect_clicks (live)"));
    }

    @Test
    void moneyMustAddUpToTheMicro() {
        Event a = event("s:1", Event.Kind.SALE, 7, 12_500_000);
        attempt(a, "/s", false, 202, Outcome.ACCEPTED);
        Event wrongAmount = new Event("s:1", Event.Kind.SALE, 7, 1, 7, 12_500_001);
        assertThat(check(List.of(wrongAmount))).extracting(Checker.Anomaly::where).allMatch(w -> w.contains("revenue_micros"));
    }

    /**
     * FaultScheduleIT, seed 2 (2 minutes): an /events line refused 422 by a gateway whose clock ran 67 s
     * behind (its ts looked a minute ahead), then replayed with the whole request to the other gateway,
     * which counted it. Nothing had counted it before: counting it now is right, not a replay answered as new.
     */
    @Test
    void aReplayOfALineEveryEarlierAttemptRefusedMayCountIt() {
        Event c = event("c:1", Event.Kind.SUSPECT_CLICK, 7, 0);
        attempt(c, "/events", false, 422, Outcome.REFUSED);
        attempt(c, "/events", true, 200, Outcome.ACCEPTED);
        assertThat(check(List.of(c))).isEmpty();
    }

    @Test
    void aRepostAnsweredAsANewSaleIsAnAnomalyEvenWhenTotalsHappenToMatch() {
        Event s = event("s:1", Event.Kind.SALE, 7, 1_000_000);
        attempt(s, "/s", false, 202, Outcome.ACCEPTED);
        attempt(s, "/s", true, 202, Outcome.ACCEPTED);
        assertThat(check(List.of(s))).extracting(Checker.Anomaly::kind).containsExactly("REPLAY_ANSWERED_AS_NEW");
    }

    @Test
    void aFirstSendAnsweredDuplicateIsAnAnomalyUnlessAnEarlierAttemptMayHaveCounted() {
        Event s = event("s:1", Event.Kind.SALE, 7, 1_000_000);
        attempt(s, "/s", false, 200, Outcome.DUPLICATE);
        assertThat(new Checker(events, attempts).check(observed(List.of(s)))).extracting(Checker.Anomaly::kind)
                .containsExactly("NEW_ANSWERED_AS_DUPLICATE");

        Event t = event("s:2", Event.Kind.SALE, 8, 1_000_000);
        attempt(t, "/s", false, -1, Outcome.UNKNOWN);
        attempt(t, "/s", false, 200, Outcome.DUPLICATE);
        Event u = event("s:3", Event.Kind.SALE, 9, 1_000_000);
        attempt(u, "/s", false, 503, Outcome.REFUSED);
        attempt(u, "/s", false, 200, Outcome.DUPLICATE);
        List<Checker.Anomaly> anomalies = check(List.of(s, t, u));
        // a 503 is never counted, so a duplicate after only 503s means the 503 was counted
        assertThat(anomalies).extracting(Checker.Anomaly::where).containsExactly("/s s:1", "/s s:3");
    }

    @Test
    void aServerErrorOtherThan503IsAnAnomaly() {
        Event i = event("i:1", Event.Kind.IMPRESSION, 7, 0);
        attempt(i, "/i", false, 500, Outcome.UNKNOWN);
        attempt(i, "/i", false, 200, Outcome.ACKED);
        assertThat(check(List.of(i))).extracting(Checker.Anomaly::kind).containsExactly("SERVER_ERROR");
    }

    @Test
    void aHistoryFileReadsBackToTheSameVerdict(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("history.jsonl");
        try (History h = new History(file)) {
            Event i = new Event("i:1", Event.Kind.IMPRESSION, 7, 1, 7, 0);
            h.event(i);
            h.attempt(new Attempt(1, "r1", "i:1", "/i", "g", false, -1, Outcome.UNKNOWN));
            h.note("step", "t+20s KILL m1");
            Event s = new Event("s:7:o1", Event.Kind.SALE, 7, 1, 7, 12_340_000);
            h.event(s);
            h.attempt(new Attempt(2, "r2", "s:7:o1", "/s", "g", false, 202, Outcome.ACCEPTED));
        }
        History back = History.read(file);
        assertThat(back.events()).hasSize(2);
        Checker checker = new Checker(back.events(), back.attempts());
        assertThat(checker.fate("i:1")).isEqualTo(Checker.Fate.UNKNOWN);
        assertThat(checker.fate("s:7:o1")).isEqualTo(Checker.Fate.ACKNOWLEDGED);
        Checker.Bounds b = checker.boundsByCampaign().get(7L);
        assertThat(b.low()).isEqualTo(new Totals(0, 0, 0, 1, 12_340_000));
        assertThat(b.high()).isEqualTo(new Totals(1, 0, 0, 1, 12_340_000));
    }
}
