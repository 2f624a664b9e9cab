package io.adgrid.grid.counters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses counting batches on a member whose JVM was frozen (SIGSTOP, a stalled virtual machine, a
 * long safepoint) for half the cluster's heartbeat timeout or more, and for one heartbeat timeout
 * after it woke. Meanwhile the cluster may have removed the member and given its partitions new
 * owners, and the member wakes with its old member list: its split-brain protection still passes,
 * and it would apply batches queued before the freeze as a stale owner, while the gateway, told the
 * outcome is unknown, re-sends them to the new owner (issue 18, seed 34: an unanswered impression
 * counted by both). By the end of the fence the member has heard from the cluster or, hearing
 * nothing, has removed the others and lost its majority. A removal takes a heartbeat timeout of
 * silence, so a shorter freeze leaves the member an owner, and fencing it costs only that time.
 */
public final class FreezeFence {

    public static final String USER_CONTEXT_KEY = "adgrid.freeze-fence";

    private static final Logger log = LoggerFactory.getLogger(FreezeFence.class);
    private static final Watch THIS_JVM = new Watch(System::nanoTime);

    private final Watch watch;
    private final long freezeNanos;
    private final long fenceNanos;

    /** A fence for a cluster whose members are removed after {@code heartbeatTimeout} without a heartbeat. */
    public FreezeFence(Watch watch, Duration heartbeatTimeout) {
        this.watch = watch;
        this.fenceNanos = heartbeatTimeout.toNanos();
        this.freezeNanos = fenceNanos / 2;
    }

    /** As {@link #FreezeFence(Watch, Duration)}, on the watch of this JVM (one thread, started with the first fence). */
    public static FreezeFence watchingThisJvm(Duration heartbeatTimeout) {
        THIS_JVM.startTicking();
        return new FreezeFence(THIS_JVM, heartbeatTimeout);
    }

    /** Why this member must not count now, or null. */
    public String refusal() {
        long now = watch.nanoTime.getAsLong();
        // The last tick first: a tick that ended a freeze records it before it moves the tick.
        long sinceTick = now - watch.lastTickNanos;
        if (sinceTick >= freezeNanos) {
            return refusal(sinceTick, fenceNanos);
        }
        for (Freeze f : watch.freezes) {
            long sinceEnd = now - f.endedAtNanos();
            if (f.lengthNanos() >= freezeNanos && sinceEnd < fenceNanos) {
                return refusal(f.lengthNanos(), fenceNanos - sinceEnd);
            }
        }
        return null;
    }

    private static String refusal(long frozenNanos, long remainingNanos) {
        return "this member was frozen for " + frozenNanos / 1_000_000 + " ms, long enough for the cluster to have removed it: "
                + "it counts again in " + remainingNanos / 1_000_000 + " ms, once its view of the members is current";
    }

    /** A time the JVM ran nothing: how long, and when it ended. */
    private record Freeze(long lengthNanos, long endedAtNanos) {
    }

    /** Notices the JVM's freezes: ticks every 100 ms and keeps the freezes of a second or more of the last ten minutes. */
    public static final class Watch {

        private static final long TICK_MILLIS = 100;
        private static final long RECORDED_NANOS = Duration.ofSeconds(1).toNanos();
        private static final long LOGGED_NANOS = Duration.ofSeconds(5).toNanos();
        private static final long KEPT_NANOS = Duration.ofMinutes(10).toNanos();

        private final LongSupplier nanoTime;
        private volatile long lastTickNanos;
        private volatile List<Freeze> freezes = List.of();
        private boolean ticking;

        /** A watch on {@code nanoTime}, ticked by its owner ({@link #tick}): tests move its time by hand. */
        public Watch(LongSupplier nanoTime) {
            this.nanoTime = nanoTime;
            this.lastTickNanos = nanoTime.getAsLong();
        }

        public void tick() {
            long now = nanoTime.getAsLong();
            long gap = now - lastTickNanos;
            if (gap >= RECORDED_NANOS) {
                List<Freeze> kept = new ArrayList<>();
                for (Freeze f : freezes) {
                    // By time only: a busy box's many one-second gaps must not push out a long freeze still fenced.
                    if (now - f.endedAtNanos() < KEPT_NANOS) {
                        kept.add(f);
                    }
                }
                kept.add(0, new Freeze(gap, now));
                freezes = List.copyOf(kept);
                // A second now and then is a busy box, not news; the fence itself reads every recorded freeze.
                if (gap >= LOGGED_NANOS) {
                    log.warn("this JVM ran nothing for {} ms (frozen, or starved of CPU)", gap / 1_000_000);
                }
            }
            lastTickNanos = now;
        }

        private synchronized void startTicking() {
            if (ticking) {
                return;
            }
            ticking = true;
            lastTickNanos = nanoTime.getAsLong();
            Thread t = new Thread(() -> {
                while (true) {
                    tick();
                    try {
                        Thread.sleep(TICK_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "adgrid-freeze-watch");
            t.setDaemon(true);
            t.start();
        }
    }
}
