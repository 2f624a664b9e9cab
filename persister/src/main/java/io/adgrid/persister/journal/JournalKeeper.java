package io.adgrid.persister.journal;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.DataMembersAtLeast;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a data member's journal ({@link MemberJournal}) through the lives of the grid: joins the
 * grid's life ({@link GridLife}), opens the journal, replays the dead lives' directories on its root
 * ({@link JournalReplay}), then keeps the gate ({@link JournalGate}, every second, with the
 * lost-writes audit of {@link LostWritesRepair}) and the files ({@link JournalSweeper}, every
 * minute) up to date. Lost partitions are {@link LostPartitionRecovery}'s. The registrations in
 * PostgreSQL are {@link JournalRegistry}'s.
 *
 * <p>Each process registers its journal directory with its life in PostgreSQL (table
 * {@code journal_directory}) just before its first record (one that never held a record is never
 * waited for), and binds its journal root to its database (a marker file; another database's root
 * is refused). A directory registered with an earlier life belongs to a grid that died with
 * everything it held in memory; its process (or any process on the same journal root) replays it
 * when it starts again:
 * <ol>
 *   <li>counts: every count of a slice that PostgreSQL does not hold yet (by the epoch's watermark,
 *   see {@code Watermark#holds}) is added to {@code counter_minute}, each slice once
 *   however many journals hold it ({@code journal_recovered_slice}, in the same transaction);</li>
 *   <li>identities: every journaled event still inside its replay window (or sale inside its order
 *   retention) is remembered by the new grid without being counted, so a retry is a duplicate;</li>
 *   <li>the directory is unregistered and deleted.</li>
 * </ol>
 * Each step can be repeated after a crash without changing totals. Until no directory of an earlier
 * life is registered, the data members publish the gate closed and gateways answer 503.
 *
 * <p>In a life that goes on, files are deleted once everything in them is in PostgreSQL and their
 * identities have left the replay window ({@link #sweep}). A graceful stop keeps the journal for
 * the same time ({@link #retire}), so identities outlive a stop of the whole grid. Members refuse
 * counting batches until no directory of a dead life is left (the member side of the gate).
 */
public final class JournalKeeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JournalKeeper.class);
    /** Where a data member's keeper is found by the members' repair tasks ({@link LostWritesReplay}). */
    static final String USER_CONTEXT_KEY = "adgrid.journal-keeper";

    /** What replaying one dead journal directory did. */
    public record Recovery(UUID directory, int slices, int slicesAddedToPostgres, int slicesAlreadyThere, long eventsCounted,
                           long identitiesRemembered) {
    }

    private final MemberJournal journal;
    private final HazelcastInstance grid;
    private final DataSource dataSource;
    private final Clock clock;
    private final JournalRegistry registry;
    private final GridLife lives;
    private final JournalReplay replay;
    private final JournalGate gate;
    private final JournalSweeper sweeper;
    private final LostWritesRepair lostWrites;
    /** Set by {@link #close} and {@link #retire}: a member still waiting for its majority stops waiting. */
    private volatile boolean closed;
    private final List<Recovery> recoveries = new ArrayList<>();
    private ScheduledExecutorService scheduler;
    private volatile UUID life;
    private String database;
    private LostPartitionRecovery lostPartitions;
    /** Called once when this member can no longer take part in the grid without a new start (the app exits). */
    private volatile Runnable onRestartNeeded = () -> { };
    /** Runs in {@link #joinLife} once the journal is open, before the lost-partition recovery starts (a test acts there). */
    Runnable journalOpened = () -> { };

    public JournalKeeper(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock) {
        this(journal, grid, dataSource, clock, 1);
    }

    /** With the split-brain majority of {@code minMembers} data members, every data member voting. */
    public JournalKeeper(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock, int minMembers) {
        this(journal, grid, dataSource, clock, new DataMembersAtLeast(minMembers));
    }

    /** With the split-brain majority {@code quorum}: the one the member's grid configuration applies. */
    public JournalKeeper(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock, DataMembersAtLeast quorum) {
        this.journal = journal;
        this.grid = grid;
        this.dataSource = dataSource;
        this.clock = clock;
        this.registry = new JournalRegistry(dataSource);
        this.lives = new GridLife(grid, registry, quorum);
        this.replay = new JournalReplay(registry, grid, dataSource, clock);
        this.gate = new JournalGate(registry, journal, grid.getMap(RecoveryGate.MAP), clock, () -> onRestartNeeded.run());
        this.sweeper = new JournalSweeper(journal, registry, dataSource, clock);
        this.lostWrites = new LostWritesRepair(journal, grid, dataSource, registry, replay, () -> life);
    }

    /**
     * Written journal files are kept until every standby (pg_stat_replication) has replayed the
     * commit that wrote them or, when no standby's position is known, for {@code horizon} (issue 17.6).
     */
    public JournalKeeper withStandbyHorizon(Duration horizon) {
        sweeper.standbyHorizon(horizon);
        return this;
    }

    /**
     * What to do once this member can only take part again by starting anew: a newer grid life ended
     * its own (it was cut off and the other side replays its journals; PostgreSQL refuses what it
     * seals), or joining the grid's life failed while it waited for its majority (its journal would
     * never be opened, nor its dead directories replayed). Started again, its journals are replayed
     * into the living grid. The app exits the process.
     */
    public JournalKeeper onRestartNeeded(Runnable action) {
        this.onRestartNeeded = action;
        return this;
    }

    /**
     * Joins the grid's life, opens the journal, replays the journals of dead lives found under the
     * journal root, and keeps the gate and the files up to date from then on.
     */
    public synchronized JournalKeeper start() {
        grid.getUserContext().put(USER_CONTEXT_KEY, this);
        try {
            database = registry.databaseIdentity();
            String rootDatabase = MemberJournal.bindRoot(journal.root(), database);
            if (!rootDatabase.equals(database)) {
                throw new JournalRootRefusedException("the journal root " + journal.root().toAbsolutePath() + " belongs to another database ("
                        + rootDatabase + "); this process uses " + database + ". Its journals are that database's: give this process "
                        + "a journal root of its own with ADGRID_JOURNAL_DIR (or --adgrid.journal.dir), or ADGRID_VAR_DIR");
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        if (lives.mayJoin()) {
            joinLife();
        } else {
            // In the background: the process must start (and a Kubernetes pod become ready, so that the
            // next one is started) while this member waits for the majority it needs.
            Thread t = new Thread(this::joinLifeOnceMajority, "adgrid-journal-majority");
            t.setDaemon(true);
            t.start();
        }
        return this;
    }

    /** Joins the grid's life, or names a new one, then opens the journal and replays dead lives' journals. */
    private void joinLife() {
        try {
            GridLife.Joined joined = lives.join(journal.directory());
            life = joined.life();
            // Enforced before the journal is ready, which its first operation waits for: from then on a seal
            // on a partition without its mark is withheld. No partition ever counts unmarked, so an unmarked
            // partition whose journals hold counts was lost, never merely not marked yet. Enforced only once
            // the recovery started, a member that joined while the grid held unmarked copies (a stale side
            // merged into) sealed and wrote them over their replay (issue 18, seed 23 on 1025044).
            journal.enforcePartitionMarks();
            // Registered before its first record, not now: a process that fails before it journals
            // anything leaves nothing for a later life to wait for (issue 27).
            UUID joinedLife = life;
            journal.open(joinedLife, database, () -> registry.register(journal.id(), joinedLife, journal.directory()));
            journalOpened.run();
            // Partitions lost with every replica while the grid lives on refuse counting until replayed (issue 17.5).
            lostPartitions = new LostPartitionRecovery(this, journal, grid, dataSource, clock).start(joined.named(), life.toString());
            gate.open(life);
            gate.publish();
            journal.whileHoldingRootLock(() -> journal.otherDirectories()
                    .forEach(dir -> replay.recoverIfDead(dir, joinedLife, database).ifPresent(recoveries::add)));
            gate.publish();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-journal");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::publishGateQuietly, 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> sweeper.sweepQuietly(life), 60, 60, TimeUnit.SECONDS);
    }

    /**
     * Waits until this member sees {@code minMembers} data members (the split-brain majority), then
     * joins the life. Only then may it find no life in the grid and name a new one: a member started
     * again that merely failed to reach the living grid would otherwise start a life of its own, and
     * once the two clusters merged each would wait for the other's live journal as a dead life's,
     * forever (issue 18). Meanwhile its journal is not open: it takes no counting batch as owner.
     */
    private void joinLifeOnceMajority() {
        long nextLog = 0;
        while (!closed) {
            long seen = lives.dataMembersSeen();
            if (lives.mayJoin()) {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    try {
                        joinLife();
                    } catch (RuntimeException e) {
                        // Nobody else replays this root's dead directories while this process lives: start anew.
                        log.error("cannot join the grid's life: {}; this member takes no counting batch until it is "
                                + "started again", e.toString());
                        onRestartNeeded.run();
                    }
                    return;
                }
            }
            if (System.nanoTime() >= nextLog) {
                log.info("sees {} voting data member(s), needs {} (ADGRID_GRID_MINMEMBERS) before it joins or starts a grid life; "
                        + "waiting", seen, lives.minimum());
                nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            }
            sleepQuietly(200);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A journal root that belongs to another database: the process must not start on it. */
    public static final class JournalRootRefusedException extends IllegalStateException {
        public JournalRootRefusedException(String message) {
            super(message);
        }
    }

    /** Whether this member sees the split-brain majority of data members. */
    boolean hasMajority() {
        return lives.hasMajority();
    }

    /** Replays what {@code which} selects of a directory of this life ({@link JournalReplay#replay(UUID, Path, Predicate)}). */
    Recovery replay(UUID id, Path dir, Predicate<AppliedSlice> which) {
        return replay.replay(id, dir, which);
    }

    /** The journals of dead lives awaited now (0 when counting is open): why gateways answer 503. */
    public int awaitingCount() {
        return gate.awaitingCount();
    }

    /** Their description (directory, life, host, path, whether the files exist), empty when none. */
    public String awaiting() {
        return gate.awaiting();
    }

    public UUID life() {
        return life;
    }

    /** Whether this member takes counting batches (no journal of a dead life awaits replay). */
    public boolean counting() {
        return journal.countingRefusal() == null;
    }

    /** The journals of dead lives this process replayed at start. */
    public synchronized List<Recovery> recoveries() {
        return List.copyOf(recoveries);
    }

    /**
     * Publishes whether journals of earlier lives are still registered (the gate of every gateway),
     * and says which, every 30 s while they are.
     */
    public void publishGate() {
        gate.publish();
    }

    private void publishGateQuietly() {
        try {
            gate.publish();
        } catch (RuntimeException e) {
            log.debug("gate not published: {}", e.getMessage());
        }
        try {
            lostWrites.auditIfAnotherDatabaseServer();
        } catch (RuntimeException e) {
            log.warn("write-behind watermarks not checked against the grid yet, will retry: {}", e.getMessage());
        }
    }

    /** See {@link LostWritesRepair#auditIfAnotherDatabaseServer}. */
    void auditIfAnotherDatabaseServer() {
        lostWrites.auditIfAnotherDatabaseServer();
    }

    /** Compares PostgreSQL's watermarks with what this member's own entries acknowledged, and repairs the epochs behind. */
    void auditOwnEntries() {
        lostWrites.auditOwnEntries();
    }

    /** The write-behind found PostgreSQL behind these entries: repairs them now, and checks every own entry next. */
    public void lostWritesFound(Map<UUID, Watermark> acknowledged) {
        lostWrites.found(acknowledged);
    }

    /** See {@link LostWritesRepair#repair}: every data member writes again, from its journals, what PostgreSQL lost. */
    public void repairLostWrites(Map<UUID, Watermark> acknowledged) {
        lostWrites.repair(acknowledged);
    }

    /** This member's part of a lost-writes repair ({@link LostWritesReplay}); {slices read, slices added, events added}. */
    long[] replayLostWrites(Map<UUID, Watermark> acknowledged, Map<UUID, Watermark> held) {
        return lostWrites.replayOwnRoot(acknowledged, held);
    }

    /**
     * Deletes the journal files of this life whose time has passed and whose every count is in
     * PostgreSQL, and the directories (with their registrations) that end up empty. Returns the
     * files deleted.
     */
    public int sweep() {
        return sweeper.sweep(life);
    }

    /**
     * Graceful shutdown, after this member's entries were written: stops journaling (the partitions'
     * other replicas journal what still arrives) and keeps the journal, registered, until the
     * identities in it leave their window (issue 17.1): if the whole grid stops, the next life
     * replays them, so a beacon or order sent again after the restart is a duplicate. Waits up to
     * {@code wait} for the other members' write-behind, to note whether PostgreSQL holds every count
     * (then the next life only restores identities). A journal that never held a record is deleted.
     */
    public synchronized boolean retire(Duration wait) {
        if (life == null) {
            // Still waiting for a majority: it never journaled anything.
            close();
            return true;
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (lostPartitions != null) {
            lostPartitions.close();
        }
        journal.stopAppending();
        List<Path> files = MemberJournal.files(journal.directory());
        if (!journal.holdsRecords() || files.isEmpty()) {
            journal.close();
            MemberJournal.deleteDirectory(journal.directory());
            if (journal.holdsRecords()) {
                registry.unregister(journal.id());
            }
            log.info("journal {} dropped: it holds no record", journal.directory());
            return true;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        boolean written = false;
        while (!written) {
            try {
                written = sweeper.allWritten(files);
            } catch (RuntimeException e) {
                log.warn("cannot check the journal against PostgreSQL: {}", e.getMessage());
            }
            if (written || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long neededUntilMinute = files.stream().mapToLong(MemberJournal::keepUntilMinuteOf).max().orElse(0) + 1;
        journal.close();
        journal.markStopped();
        try {
            registry.noteStopped(journal.id(), written, neededUntilMinute);
        } catch (SQLException e) {
            log.warn("cannot note the journal's graceful stop in PostgreSQL: {}", e.getMessage());
        }
        log.info("journal {} kept until {} for the identities it holds (a beacon or order sent again after a restart is a "
                + "duplicate); {}", journal.directory(), java.time.Instant.ofEpochSecond(neededUntilMinute * 60),
                written ? "PostgreSQL holds every count in it" : "some of its counts are not in PostgreSQL yet: a next life replays them");
        return written;
    }

    /** Closes the journal; one that never held a record (a failed start, a quiet life) is deleted with its directory. */
    @Override
    public void close() {
        closed = true;
        try {
            grid.getUserContext().remove(USER_CONTEXT_KEY, this);
        } catch (RuntimeException e) {
            log.debug("keeper not removed from the member's context (the member is gone): {}", e.getMessage());
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (lostPartitions != null) {
            lostPartitions.close();
        }
        gate.close();
        journal.close();
        if (journal.life() != null && !journal.holdsRecords()) {
            MemberJournal.deleteDirectory(journal.directory());
        }
    }
}
