package io.adgrid.reporting.ops;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.member.MemberSnapshotTask;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's own chart points, one a second from its start, the last {@code size} of them
 * (15 minutes by default): the rates and gauges of its meters, as {@link OpsPoint}s of a cluster of
 * one. The ops overview reads every member's ring once ({@link MemberHistoryTask}) so that the
 * dashboard shows what happened before anyone opened it. Published in the member's user context
 * under {@link #USER_CONTEXT_KEY}.
 */
public final class LocalHistory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalHistory.class);
    public static final String USER_CONTEXT_KEY = "adgrid.ops.local-history";
    public static final int DEFAULT_SIZE = 900;

    private final HazelcastInstance grid;
    private final Clock clock;
    private final int size;
    private final Deque<OpsPoint> ring = new ArrayDeque<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "adgrid-ops-history");
        t.setDaemon(true);
        return t;
    });
    private ClusterSample last;

    public LocalHistory(HazelcastInstance grid, Clock clock, int size) {
        this.grid = grid;
        this.clock = clock;
        this.size = size;
    }

    public LocalHistory start(Duration every) {
        grid.getUserContext().put(USER_CONTEXT_KEY, this);
        timer.scheduleAtFixedRate(this::sample, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    void sample() {
        try {
            if (!grid.getLifecycleService().isRunning()) {
                return;
            }
            ClusterSample now = new ClusterSample(clock.millis(), List.of(MemberSnapshotTask.snapshot(grid)), Map.of());
            OpsPoint point = last == null ? null : OpsPoint.between(last, now);
            last = now;
            if (point != null) {
                synchronized (ring) {
                    ring.addLast(point);
                    while (ring.size() > size) {
                        ring.removeFirst();
                    }
                }
            }
        } catch (RuntimeException e) {
            log.debug("no history sample this second: {}", e.toString()); // the grid is stopping; the next tick tries again
        }
    }

    /** The points of this process, oldest first. */
    public List<OpsPoint> points() {
        synchronized (ring) {
            return new ArrayList<>(ring);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        grid.getUserContext().remove(USER_CONTEXT_KEY);
    }
}
