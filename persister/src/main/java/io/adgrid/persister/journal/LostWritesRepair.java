package io.adgrid.persister.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.persister.journal.JournalKeeper.Recovery;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.Watermarks;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes again what PostgreSQL lost of write-behind batches the grid had acknowledged (issue 17.6: a
 * failover to a standby that had not replayed them, a restore): found by the write-behind
 * ({@code LostWritesException}) or by an audit after PostgreSQL came back as another server. Every
 * data member replays the journals on its root ({@link LostWritesReplay}); only then are the
 * watermarks set to what was acknowledged.
 */
final class LostWritesRepair {

    private static final Logger log = LoggerFactory.getLogger(LostWritesRepair.class);
    /** The executor that runs the members' parts of a repair. */
    private static final String EXECUTOR = "adgrid-journal";

    private final MemberJournal journal;
    private final HazelcastInstance grid;
    private final DataSource dataSource;
    private final JournalRegistry registry;
    private final JournalReplay replay;
    /** This member's grid life, null until it joined one. */
    private final Supplier<UUID> life;
    /** The PostgreSQL server last seen (its start time and port); another one means a failover or a restore. */
    private volatile String databaseIncarnation;
    private volatile boolean auditDue;
    private final Object repairLock = new Object();

    LostWritesRepair(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, JournalRegistry registry,
                     JournalReplay replay, Supplier<UUID> life) {
        this.journal = journal;
        this.grid = grid;
        this.dataSource = dataSource;
        this.registry = registry;
        this.replay = replay;
        this.life = life;
    }

    /**
     * After PostgreSQL comes back as another server (a promoted standby) or restarted, compares its
     * watermarks with what this member's entries acknowledged and writes the lost batches again
     * (issue 17.6). Entries that never write again would otherwise never show the loss.
     */
    void auditIfAnotherDatabaseServer() {
        String now;
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_postmaster_start_time()::text || ' port ' || coalesce(inet_server_port()::text, 'socket')")) {
            rs.next();
            now = rs.getString(1);
        } catch (SQLException e) {
            return; // PostgreSQL unreachable: checked again at the next reading
        }
        String before = databaseIncarnation;
        if (before != null && !before.equals(now)) {
            log.info("PostgreSQL is another server or restarted (started {}, was {}): checking its write-behind watermarks "
                    + "against what this member's entries acknowledged", now, before);
            auditDue = true;
        }
        databaseIncarnation = now;
        if (auditDue) {
            UUID current = life.get();
            if (journal.holdsRecords() && current != null) {
                // A promoted standby may lack this directory's registration: a later total loss must still replay it.
                registry.register(journal.id(), current, journal.directory());
            }
            auditOwnEntries();
            auditDue = false;
        }
    }

    /** Compares PostgreSQL's watermarks with what this member's own entries acknowledged, and repairs the epochs behind. */
    void auditOwnEntries() {
        repair(acknowledgedWatermarks());
    }

    /** What this member's own entries know PostgreSQL holds, by epoch. */
    private Map<UUID, Watermark> acknowledgedWatermarks() {
        return GridMember.counterGrid(grid).acknowledgedWatermarks();
    }

    /** The write-behind found PostgreSQL behind these entries: repairs them now, and checks every own entry next. */
    void found(Map<UUID, Watermark> acknowledged) {
        auditDue = true;
        repair(acknowledged);
    }

    /**
     * Writes again the counts of write-behind batches the grid acknowledged (and dropped) that
     * PostgreSQL no longer holds: every data member replays the journals on its root
     * ({@link LostWritesReplay}), each slice added once however many journals hold it; only once all
     * have answered are those epochs' watermarks set to what was acknowledged, so the write-behind
     * goes on. A member that does not answer leaves them behind, and the repair runs again. Can be repeated.
     */
    void repair(Map<UUID, Watermark> acknowledged) {
        synchronized (repairLock) {
            if (life.get() == null || acknowledged.isEmpty()) {
                return;
            }
            Map<UUID, Watermark> held = Watermarks.read(dataSource, acknowledged.keySet());
            Map<UUID, Watermark> behind = new HashMap<>();
            acknowledged.forEach((epoch, acked) -> {
                if (acked.lastSeq() > held.getOrDefault(epoch, Watermark.NONE).lastSeq()) {
                    behind.put(epoch, acked);
                }
            });
            if (behind.isEmpty()) {
                return;
            }
            log.warn("PostgreSQL lacks write-behind batches the grid acknowledged for {} entries (a failover to a standby "
                    + "that had not replayed them?): every data member writes them again from its journals", behind.size());
            long began = System.nanoTime();
            long[] totals = new long[3];
            List<Member> dataMembers = grid.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).toList();
            Map<Member, Future<long[]>> answers =
                    grid.getExecutorService(EXECUTOR).submitToMembers(new LostWritesReplay(behind, held), dataMembers);
            for (Map.Entry<Member, Future<long[]>> a : answers.entrySet()) {
                try {
                    long[] r = a.getValue().get(5, TimeUnit.MINUTES);
                    for (int i = 0; i < 3; i++) {
                        totals[i] += r[i];
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while members replayed lost writes", e);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // The watermarks stay behind: nothing is written over the gap, and the repair runs again.
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    throw new IllegalStateException("member " + a.getKey().getAddress() + " did not replay its journals for the lost "
                            + "writes (" + cause.getMessage() + "); repaired again later", e);
                }
            }
            try (Connection c = dataSource.getConnection()) {
                CounterWriter.advanceWatermarks(c, behind);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot set the repaired watermarks: " + e.getMessage(), e);
            }
            log.warn("wrote again what PostgreSQL had lost of {} entries in {} ms, from the journals of {} data members: {} journaled "
                    + "slices of theirs read, {} added ({} events)", behind.size(), (System.nanoTime() - began) / 1_000_000,
                    dataMembers.size(), totals[0], totals[1], totals[2]);
        }
    }

    /**
     * This member's part of a repair ({@link LostWritesReplay}): from the journals on its root of this
     * life, adds the counts {@code acknowledged} holds and {@code held} does not, each journal record
     * once ({@link JournalReplay#lostWritesKey}). Returns {slices read, slices added, events added}.
     */
    long[] replayOwnRoot(Map<UUID, Watermark> acknowledged, Map<UUID, Watermark> held) {
        UUID current = life.get();
        if (current == null) {
            return new long[3]; // not in the life yet: it holds none of its records
        }
        List<Path> dirs = new ArrayList<>();
        dirs.add(journal.directory());
        journal.otherDirectories().stream().filter(d -> MemberJournal.lifeOf(d).map(current::equals).orElse(false)).forEach(dirs::add);
        long[] totals = new long[3];
        for (Path dir : dirs) {
            Optional<UUID> id = JournalRegistry.directoryId(dir);
            if (id.isPresent() && Files.isDirectory(dir)) {
                Recovery r = replay.replayLostWrites(id.get(), dir, acknowledged, held);
                totals[0] += r.slices();
                totals[1] += r.slicesAddedToPostgres();
                totals[2] += r.eventsCounted();
            }
        }
        if (totals[1] > 0) {
            log.info("journals on {}: {} slices of entries PostgreSQL had lost read, {} added ({} events)", journal.root(), totals[0],
                    totals[1], totals[2]);
        }
        return totals;
    }
}
