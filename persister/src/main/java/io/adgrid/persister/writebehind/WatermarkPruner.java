package io.adgrid.persister.writebehind;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the {@code flush_watermark} rows nobody can ask about any more (issue 20: one row per
 * grid entry per grid life, and entries of a dead life never write again).
 *
 * <p>Three readers ask for a watermark: the write-behind and the reports, for the epochs of the
 * living grid's entries; and a journal replay, for the epochs in the records of a registered journal
 * directory. A row is deleted only when its epoch is held by no entry of the grid, and it was last
 * written before every registered journal directory was registered: a journal record is taken after
 * its directory was registered, and a batch holding it is written after that, so no registered
 * journal can need a row older than all of them. The row must also be older than {@code minAge}
 * (a margin for a grid side a split hides from this member). A row written meanwhile is kept: the
 * delete checks the time again.
 */
public final class WatermarkPruner implements AutoCloseable {

    /** The margin in production: a day without a write. */
    public static final Duration MIN_AGE = Duration.ofDays(1);

    private static final Logger log = LoggerFactory.getLogger(WatermarkPruner.class);

    /** Rows old enough that no registered journal can need them (see the class comment). */
    private static final String OLD = """
            updated_at < now() - ?::interval
            AND updated_at < coalesce((SELECT min(registered_at) FROM journal_directory), 'infinity')""";

    /** What one run did. */
    public record Result(int candidates, int live, int deleted, boolean ran) {
        static final Result SKIPPED = new Result(0, 0, 0, false);
    }

    private final CounterGrid counters;
    private final HazelcastInstance grid;
    private final DataSource dataSource;
    private final Duration minAge;
    private ScheduledExecutorService executor;

    public WatermarkPruner(HazelcastInstance grid, DataSource dataSource, Duration minAge) {
        this.grid = grid;
        this.counters = GridMember.counterGrid(grid);
        this.dataSource = dataSource;
        this.minAge = minAge;
    }

    /** Runs every {@code interval} on a thread of its own; a failed run is logged and tried again at the next. */
    public WatermarkPruner start(Duration interval) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-watermark-prune");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                run();
            } catch (Exception e) {
                log.warn("pruning flush_watermark failed, trying again in {}: {}", interval, e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One pruning; skipped while partitions migrate (the grid's epochs could be read incompletely). */
    public Result run() throws SQLException {
        if (!grid.getPartitionService().isClusterSafe()) {
            return Result.SKIPPED;
        }
        List<UUID> candidates = candidates();
        if (candidates.isEmpty()) {
            return new Result(0, 0, 0, true);
        }
        Set<UUID> live = liveEpochs();
        List<UUID> dead = new ArrayList<>(candidates);
        dead.removeAll(live);
        int deleted = delete(dead);
        if (deleted > 0) {
            log.info("pruned {} flush_watermark rows of grid entries that are gone and whose journals are replayed", deleted);
        }
        return new Result(candidates.size(), candidates.size() - dead.size(), deleted, true);
    }

    private List<UUID> candidates() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT epoch FROM flush_watermark WHERE " + OLD)) {
            ps.setString(1, minAge.toMillis() + " milliseconds");
            List<UUID> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getObject(1, UUID.class));
                }
            }
            return out;
        }
    }

    /** The epoch of every entry the grid holds, idle ones included. */
    private Set<UUID> liveEpochs() {
        Set<UUID> out = new HashSet<>();
        for (UUID epoch : counters.epochs()) {
            if (epoch != null) {
                out.add(epoch);
            }
        }
        return out;
    }

    private int delete(List<UUID> dead) throws SQLException {
        if (dead.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM flush_watermark WHERE epoch = ANY (?) AND " + OLD)) {
            Array epochs = c.createArrayOf("uuid", dead.toArray());
            ps.setArray(1, epochs);
            ps.setString(2, minAge.toMillis() + " milliseconds");
            return ps.executeUpdate();
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
