package io.adgrid.gatling.budget;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trials of a run and what they add up to: the signal's delay (p50, p99, min, max over the trials that
 * heard it, ranked as bench/PacingSignal.java ranks them, so the figures compare), the largest billed
 * overshoot, and how many trials' over_budget was off. {@link #line} is machine-readable (key=value) with
 * PacingSignal's keys; {@link #table} is for people. The last summary of each simulation run in this JVM
 * is kept for GatlingSmokeIT.
 */
public final class SignalSummary {

    private static final Map<String, SignalSummary> LAST = new ConcurrentHashMap<>();

    private final String simulation;
    private final double rate;
    private final int perRequest;
    private final long cross;
    private final List<Trial.Outcome> outcomes = new ArrayList<>();

    public SignalSummary(String simulation, double rate, int perRequest, long cross) {
        this.simulation = simulation;
        this.rate = rate;
        this.perRequest = perRequest;
        this.cross = cross;
    }

    public static void record(SignalSummary s) {
        LAST.put(s.simulation, s);
    }

    public static Optional<SignalSummary> last(String simulation) {
        return Optional.ofNullable(LAST.get(simulation));
    }

    public static void clear(String simulation) {
        LAST.remove(simulation);
    }

    public synchronized void add(Trial.Outcome o) {
        outcomes.add(o);
    }

    public synchronized List<Trial.Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    /** Delays of the trials that heard the signal, ascending. */
    public synchronized List<Long> delays() {
        List<Long> d = new ArrayList<>();
        for (Trial.Outcome o : outcomes) {
            o.delayMillis().ifPresent(d::add);
        }
        Collections.sort(d);
        return d;
    }

    public OptionalLong p50() {
        List<Long> d = delays();
        return d.isEmpty() ? OptionalLong.empty() : OptionalLong.of(d.get((int) Math.floor(0.50 * (d.size() - 1))));
    }

    public OptionalLong p99() {
        List<Long> d = delays();
        return d.isEmpty() ? OptionalLong.empty() : OptionalLong.of(d.get((int) Math.ceil(0.99 * (d.size() - 1))));
    }

    /** Trials without an exhausted event. */
    public synchronized long missedSignals() {
        return outcomes.stream().filter(o -> o.delayMillis().isEmpty()).count();
    }

    /** The largest billed minus budget of any trial (0 when every trial billed its budget exactly). */
    public synchronized long overshootMicros() {
        return outcomes.stream().mapToLong(Trial.Outcome::overshootMicros).max().orElse(0);
    }

    public synchronized long overBudgetMismatches() {
        return outcomes.stream().filter(o -> o.overBudget() != o.expectedOverBudget()).count();
    }

    public synchronized double achievedRate() {
        long sent = outcomes.stream().mapToLong(Trial.Outcome::sent).sum();
        long millis = outcomes.stream().mapToLong(Trial.Outcome::sendingMillis).sum();
        return millis == 0 ? 0 : sent * 1000.0 / millis;
    }

    public synchronized boolean passed() {
        return !outcomes.isEmpty() && outcomes.stream().allMatch(Trial.Outcome::passed);
    }

    public synchronized String line() {
        List<Long> d = delays();
        return String.format("trials=%d rate=%.0f achieved_rate=%.0f per_request=%d cross=%d signals=%d p50_ms=%s p99_ms=%s max_ms=%s min_ms=%s overshoot_micros=%d over_budget_mismatches=%d",
                outcomes.size(), rate, achievedRate(), perRequest, cross, d.size(), text(p50()), text(p99()),
                d.isEmpty() ? "-" : d.get(d.size() - 1), d.isEmpty() ? "-" : d.get(0), overshootMicros(), overBudgetMismatches());
    }

    public synchronized String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%5s %18s %9s %9s %12s %11s %9s  %s%n", "trial", "budget micros", "sent", "signal ms", "overshoot", "over_budget", "expected", "problems"));
        for (Trial.Outcome o : outcomes) {
            sb.append(String.format("%5d %18d %9d %9s %12d %11d %9d  %s%n", o.trial(), o.budgetMicros(), o.sent(),
                    text(o.delayMillis()), o.overshootMicros(), o.overBudget(), o.expectedOverBudget(),
                    o.problems().isEmpty() ? "-" : String.join("; ", o.problems())));
        }
        return sb.append(line()).append(System.lineSeparator()).toString();
    }

    private static String text(OptionalLong v) {
        return v.isPresent() ? Long.toString(v.getAsLong()) : "-";
    }
}
