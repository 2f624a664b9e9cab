package io.adgrid.gatling.saturation;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import io.adgrid.gatling.beacon.Attempt;
import com.sun.management.UnixOperatingSystemMXBean;

/**
 * Per-level statistics of a stair-step load (each level a ramp of {@code rampMillis} to its rate, then
 * {@code levelMillis} at that rate), bucketed by the time each request was sent relative to the first one.
 * Requests sent during a ramp are not attributed to a level.
 */
public final class LoadLevels {

    private final double[] offeredRps;
    private final long levelMillis;
    private final long rampMillis;
    private final AtomicLong startNanos = new AtomicLong();
    private final Level[] levels;
    private final Knee knee;
    private final int levelsPastKnee;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile int stoppedAt = -1;
    private volatile String stopReason;
    private int evaluatedPeriod = -1;

    private static final class Level {
        final LongAdder sent = new LongAdder();
        final LongAdder ok = new LongAdder();
        final LongAdder shed = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LatencyHistogram latency = new LatencyHistogram();
    }

    /**
     * @param knee           what makes a level past the knee
     * @param levelsPastKnee how many levels to run past the knee before {@link #stopped()} says stop; -1: never
     * @param maxInFlight    {@link #stopped()} also says stop once more requests than this wait for an answer (each
     *                       holds a connection, so a file descriptor, in Gatling and in the server)
     */
    public LoadLevels(double[] offeredRps, long levelMillis, long rampMillis, Knee knee, int levelsPastKnee, int maxInFlight) {
        this.maxInFlight = maxInFlight;
        this.offeredRps = offeredRps.clone();
        this.levelMillis = levelMillis;
        this.rampMillis = rampMillis;
        this.knee = knee;
        this.levelsPastKnee = levelsPastKnee;
        this.levels = new Level[offeredRps.length];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = new Level();
        }
    }

    /** A request is being sent: the first one marks the start of the load. */
    public void sending(Attempt a) {
        startNanos.compareAndSet(0, a.sentNanos());
        inFlight.incrementAndGet();
    }

    /** Half the file descriptors this JVM may open, at most 5000: a safe default for {@code maxInFlight}. */
    public static int defaultMaxInFlight() {
        long fds = 10_000;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            fds = unix.getMaxFileDescriptorCount();
        }
        return (int) Math.max(100, Math.min(5000, fds / 2));
    }

    /** The level a request sent {@code elapsedMillis} after the start belongs to, or -1 (a ramp, or after the end). */
    public int levelAt(long elapsedMillis) {
        if (elapsedMillis < 0) {
            return -1;
        }
        long period = levelMillis + rampMillis;
        int k = (int) (elapsedMillis / period);
        if (k >= levels.length || elapsedMillis - k * period < rampMillis) {
            return -1;
        }
        return k;
    }

    public void record(Attempt a) {
        inFlight.decrementAndGet();
        long start = startNanos.get();
        if (start == 0) {
            return;
        }
        long ms = a.latencyMs() >= 0 ? a.latencyMs() : (System.nanoTime() - a.sentNanos()) / 1_000_000;
        record((a.sentNanos() - start) / 1_000_000, a.status(), ms);
    }

    /** One answer (status 0: none) to a request sent {@code sentAfterMillis} after the start. */
    void record(long sentAfterMillis, int status, long latencyMillis) {
        int k = levelAt(sentAfterMillis);
        if (k < 0) {
            return;
        }
        Level l = levels[k];
        l.sent.increment();
        if (status == 503) {
            l.shed.increment();
        } else if (status >= 200 && status < 400) {
            l.ok.increment();
        } else {
            l.errors.increment();
        }
        l.latency.record(latencyMillis);
    }

    /**
     * True once the load has run {@code levelsPastKnee} full levels past the knee: pushing further only
     * melts the system down (queues, timeouts, file descriptors) and tells nothing more.
     */
    public boolean stopped() {
        long start = startNanos.get();
        if (start == 0) {
            return false;
        }
        long elapsed = System.nanoTime() - start;
        if (stoppedAt < 0 && inFlight.get() > maxInFlight) {
            synchronized (this) {
                if (stoppedAt < 0) {
                    stoppedAt = (int) (elapsed / 1_000_000 / (levelMillis + rampMillis));
                    stopReason = "more than " + maxInFlight + " requests waited for an answer (-DmaxInFlight)";
                }
            }
        }
        return stoppedAt(elapsed) >= 0;
    }

    /** The level the load stopped at (0-based), or -1; evaluates the completed levels at each new level. */
    int stoppedAt(long elapsedNanos) {
        if (stoppedAt >= 0 || levelsPastKnee < 0) {
            return stoppedAt;
        }
        int period = (int) (elapsedNanos / 1_000_000 / (levelMillis + rampMillis));
        synchronized (this) {
            if (period > evaluatedPeriod && stoppedAt < 0) {
                evaluatedPeriod = period;
                int k = knee.find(results().subList(0, Math.min(period, levels.length)));
                if (k >= 0 && period > k + levelsPastKnee) {
                    stoppedAt = period;
                    stopReason = levelsPastKnee + " level(s) past the knee (-DstopAfterKnee)";
                }
            }
            return stoppedAt;
        }
    }

    public List<LevelStats> results() {
        List<LevelStats> out = new ArrayList<>();
        double seconds = levelMillis / 1000.0;
        for (int i = 0; i < levels.length; i++) {
            Level l = levels[i];
            out.add(new LevelStats(i + 1, offeredRps[i], l.sent.sum() / seconds, l.ok.sum() / seconds, l.shed.sum() / seconds,
                    l.errors.sum() / seconds, l.latency.percentile(0.50), l.latency.percentile(0.99)));
        }
        return out;
    }

    /** The knee report of this load. */
    public String report(String title) {
        String r = report(title, results(), knee, stoppedAt);
        if (stoppedAt >= 0 && stoppedAt < levels.length) {
            r += String.format("Stopped the load at level %d: %s.%n", stoppedAt + 1, stopReason);
        }
        return r;
    }

    /** The knee report: one line per level, then the verdict; {@code stoppedLevel}: where the load was stopped, or -1. */
    public static String report(String title, List<LevelStats> stats, Knee knee, int stoppedLevel) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%n=== %s ===%n", title));
        sb.append(String.format("%5s %11s %9s %9s %9s %9s %8s %8s  %s%n", "level", "offered/s", "sent/s", "ok/s", "503/s", "failed/s",
                "p50 ms", "p99 ms", ""));
        int k = knee.find(stats);
        for (int i = 0; i < stats.size(); i++) {
            LevelStats l = stats.get(i);
            String reason = knee.reason(l);
            String note = reason == null ? "" : (i == k ? "KNEE: " : "") + reason;
            if (l.sentRps() == 0) {
                note = "not run";
            } else if (i == stoppedLevel) {
                note += (note.isEmpty() ? "" : "; ") + "load stopped during this level";
            } else if (l.sentRps() < 0.9 * l.offeredRps()) {
                note += (note.isEmpty() ? "" : "; ") + "generator sent < 90 % of offered";
            }
            sb.append(String.format("%5d %11.0f %9.0f %9.0f %9.0f %9.0f %8d %8d  %s%n", l.level(), l.offeredRps(), l.sentRps(), l.okRps(),
                    l.shedRps(), l.errorRps(), l.p50Ms(), l.p99Ms(), note));
        }
        if (k < 0) {
            sb.append("No knee: every level kept up (raise -Drate to go further).\n");
        } else {
            LevelStats at = stats.get(k);
            sb.append(String.format("Knee at level %d (offered %.0f req/s): %s.%n", at.level(), at.offeredRps(), knee.reason(at)));
            if (k > 0) {
                LevelStats ok = stats.get(k - 1);
                sb.append(String.format("Highest level that kept up: %d, %.0f req/s offered, %.0f ok/s, p99 %d ms.%n", ok.level(),
                        ok.offeredRps(), ok.okRps(), ok.p99Ms()));
            } else {
                sb.append("Already the first level is past the knee (lower -Drate or raise -Dsteps).\n");
            }
            if (at.sentRps() < 0.9 * at.offeredRps() && k != stoppedLevel) {
                sb.append("Gatling itself could not send the offered rate there: this knee may be the load generator's.\n");
            }
        }
        return sb.toString();
    }

    public static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            System.err.println("cannot write " + file + ": " + e);
        }
    }
}
