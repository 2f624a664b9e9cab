package io.adgrid.gatling.budget;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * One crossing of a campaign's total budget, as bench/PacingSignal.java measures it. The budget is what
 * the campaign spent so far plus {@code cross} impressions, so the {@code cross}-th impression of the
 * trial is the one that reaches it. Bodies of impressions are sent one after the other at {@code rate}
 * events/s; the trial ends {@code margin} past the crossing once "exhausted" was heard (or once the
 * signal is overdue). The delay is from the answer of the body holding the crossing impression to the
 * event's arrival: negative when the monitor saw the impression before that answer came back.
 * Times are wall-clock milliseconds, as Gatling stamps the stream's messages. Not thread-safe: one
 * virtual user drives a trial.
 */
public final class Trial {

    private final int number;
    private final long budgetMicros;
    private final long cross;
    private final long stopAtLeast;
    private final double rate;
    private final long signalTimeoutMillis;

    private long startedAt = -1;
    private long endedAt = -1;
    private long sent;
    private long crossAnsweredAt = -1;
    private long exhaustedAt = -1;
    private long stopAfter = Long.MAX_VALUE;
    private boolean signalOverdue;
    private long sentWhenHeardEarly = -1;

    /**
     * @param spentMicros what the campaign spent before the trial (all days: a total budget bills them all)
     * @param unitMicros  what one impression costs (a CPM price / 1000)
     * @param margin      impressions sent past the crossing, as a share of {@code cross}, before the trial
     *                    stops (at least until "exhausted" is heard)
     */
    public Trial(int number, long spentMicros, long unitMicros, long cross, double margin, double rate, long signalTimeoutMillis) {
        if (spentMicros < 0 || unitMicros <= 0 || cross <= 0 || margin < 0 || rate <= 0 || signalTimeoutMillis <= 0) {
            throw new IllegalArgumentException("need spent >= 0, a positive unit cost, cross, rate and timeout, margin >= 0");
        }
        this.number = number;
        this.budgetMicros = Math.addExact(spentMicros, Math.multiplyExact(cross, unitMicros));
        this.cross = cross;
        this.stopAtLeast = Math.addExact(cross, (long) Math.ceil(cross * margin));
        this.rate = rate;
        this.signalTimeoutMillis = signalTimeoutMillis;
    }

    public int number() {
        return number;
    }

    public long budgetMicros() {
        return budgetMicros;
    }

    public long cross() {
        return cross;
    }

    public long sent() {
        return sent;
    }

    public void start(long nowMillis) {
        startedAt = nowMillis;
    }

    /** A body of {@code events} impressions was answered, all of them accepted. */
    public void answered(int events, long nowMillis) {
        sent += events;
        if (crossAnsweredAt < 0 && sent >= cross) {
            crossAnsweredAt = nowMillis;
        }
    }

    /**
     * The stream said "exhausted" for this trial's budget, at {@code arrivalMillis}. Messages are looked at
     * after each answer, so the crossing body must have been answered by now: if not, the signal came
     * before the budget could be reached, which is a failure.
     */
    public void exhausted(long arrivalMillis) {
        if (exhaustedAt >= 0) {
            return;
        }
        if (sent < cross) {
            sentWhenHeardEarly = sent;
        }
        exhaustedAt = arrivalMillis;
        stopAfter = stopAtLeast;
    }

    /** Whether to send another body; false once past the margin or when the signal is overdue. */
    public boolean sending(long nowMillis) {
        if (endedAt >= 0) {
            return false;
        }
        if (crossAnsweredAt >= 0 && exhaustedAt < 0 && nowMillis - crossAnsweredAt > signalTimeoutMillis) {
            signalOverdue = true;
        }
        if (signalOverdue || sent >= stopAfter) {
            endedAt = nowMillis;
            return false;
        }
        return true;
    }

    /** How long to wait before the next body so that the trial keeps to its rate (catching up when late). */
    public long pauseMillis(long nowMillis) {
        long due = startedAt + Math.round(sent * 1000.0 / rate);
        return Math.max(0, due - nowMillis);
    }

    /** Milliseconds from the crossing body's answer to "exhausted"; empty without both. */
    public OptionalLong delayMillis() {
        return crossAnsweredAt >= 0 && exhaustedAt >= 0 ? OptionalLong.of(exhaustedAt - crossAnsweredAt) : OptionalLong.empty();
    }

    /** Sending time, start to the decision to stop. */
    public long sendingMillis() {
        return endedAt >= 0 && startedAt >= 0 ? endedAt - startedAt : 0;
    }

    /**
     * Checks the campaign's pacing read after the trial: billed must be the budget exactly (billing stops
     * there and the crossing impression is billed whole) and over_budget the impressions past the
     * crossing (a budget has no history, so earlier trials' are billed under the raised budget).
     */
    public Outcome settle(long billedMicros, long overBudget) {
        List<String> problems = new ArrayList<>();
        if (exhaustedAt < 0) {
            problems.add(signalOverdue
                    ? "no exhausted event within " + signalTimeoutMillis + " ms of the crossing body's answer"
                    : "no exhausted event (the crossing was never answered)");
        }
        if (sentWhenHeardEarly >= 0) {
            problems.add("exhausted heard with only " + sentWhenHeardEarly + " of the " + cross + " impressions to the crossing answered");
        }
        if (billedMicros > budgetMicros) {
            problems.add("billed " + (billedMicros - budgetMicros) + " micros past the budget");
        } else if (billedMicros < budgetMicros && sent >= cross) {
            problems.add("billed " + (budgetMicros - billedMicros) + " micros short of the budget although it was crossed");
        }
        long expectedOver = Math.max(0, sent - cross);
        if (overBudget != expectedOver) {
            problems.add("over_budget " + overBudget + ", but " + expectedOver + " impressions were sent past the crossing");
        }
        return new Outcome(number, budgetMicros, sent, sendingMillis(), delayMillis(), billedMicros - budgetMicros,
                overBudget, expectedOver, List.copyOf(problems));
    }

    /**
     * A settled trial.
     *
     * @param overshootMicros billed minus budget (0 when exact, negative when short)
     */
    public record Outcome(int trial, long budgetMicros, long sent, long sendingMillis, OptionalLong delayMillis,
            long overshootMicros, long overBudget, long expectedOverBudget, List<String> problems) {

        public boolean passed() {
            return problems.isEmpty();
        }
    }
}
