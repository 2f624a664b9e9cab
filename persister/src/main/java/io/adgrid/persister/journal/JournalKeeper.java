package io.adgrid.persister.journal;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.SettingWrites;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.Watermarks;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a data member's journal ({@link MemberJournal}) through the lives of the grid.
 *
 * <p>A <em>life</em> of the grid lasts as long as one member holds its data: the first data member
 * of a cluster that holds nothing names a new one ({@link RecoveryGate#LIFE}), once it sees a
 * majority of data members ({@code minMembers}), so a member that only failed to reach the grid waits. Each process
 * registers its journal directory with its life in PostgreSQL (table {@code journal_directory})
 * just before its first record (one that never held a record is never waited for), and binds its
 * journal root to its database (a marker file; another database's root is refused). A directory registered with an earlier life belongs to a grid that
 * died with everything it held in memory; its process (or any process on the same journal root)
 * replays it when it starts again:
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
    /** Events per grid call when the identities of a dead life are loaded into the new one. */
    private static final int EVENTS_PER_CALL = 5_000;
    /** Slices per PostgreSQL transaction of a recovery. */
    private static final int SLICES_PER_TRANSACTION = 2_000;
    /** Journal records read at once by a replay, a sweep or a retirement. */
    private static final int RECORDS_PER_CHUNK = 20_000;
    /** Where a data member's keeper is found by the members' repair tasks ({@link LostWritesReplay}). */
    static final String USER_CONTEXT_KEY = "adgrid.journal-keeper";
    /** The executor that runs those tasks. */
    private static final String EXECUTOR = "adgrid-journal";

    /** What replaying one dead journal directory did. */
    public record Recovery(UUID directory, int slices, int slicesAddedToPostgres, int slicesAlreadyThere, long eventsCounted,
                           long identitiesRemembered) {
    }

    private final MemberJournal journal;
    private final HazelcastInstance grid;
    private final IMap<String, String> protocol;
    private final DataSource dataSource;
    private final CounterWriter counterWriter;
    private final Clock clock;
    private final DataMembersAtLeast quorum;
    /** Set by {@link #close} and {@link #retire}: a member still waiting for its majority stops waiting. */
    private volatile boolean closed;
    private final List<Recovery> recoveries = new ArrayList<>();
    private ScheduledExecutorService scheduler;
    private volatile UUID life;
    private volatile String lastAwaiting;
    private volatile int awaitingCount;
    private long lastAwaitingLog;
    private String database;
    private UUID gateListener;
    private LostPartitionRecovery lostPartitions;
    /** How long a written journal file is kept when no standby's replay position is known (issue 17.6). */
    private volatile Duration standbyHorizon = Duration.ZERO;
    /** Per journal file found written: the server's WAL position then, and when (see {@link #replicated}). */
    private final Map<Path, long[]> writtenAt = new ConcurrentHashMap<>();
    /** The PostgreSQL server last seen (its start time and port); another one means a failover or a restore. */
    private volatile String databaseIncarnation;
    private volatile boolean auditDue;
    private final Object repairLock = new Object();
    /** Called once when this member can no longer take part in the grid without a new start (the app exits). */
    private volatile Runnable onRestartNeeded = () -> { };
    /** Runs in {@link #joinLife} once the journal is open, before the lost-partition recovery starts (a test acts there). */
    Runnable journalOpened = () -> { };
    private volatile boolean lifeEnded;

    public JournalKeeper(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock) {
        this(journal, grid, dataSource, clock, 1);
    }

    /** With the split-brain majority of {@code minMembers} data members, every data member voting. */
    public JournalKeeper(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock, int minMembers) {
        this(journal, grid, dataSource, clock, new DataMembersAtLeast(minMembers));
    }

    /** With the split-brain majority {@code quorum}: the one the member's grid configuration applies. */
    public JournalKeeper(MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock, DataMembersAtLeast quorum) {
        this.quorum = quorum;
        this.journal = journal;
        this.grid = grid;
        this.protocol = grid.getMap(RecoveryGate.MAP);
        this.dataSource = dataSource;
        this.counterWriter = new CounterWriter(dataSource);
        this.clock = clock;
    }

    /**
     * Written journal files are kept until every standby (pg_stat_replication) has replayed the
     * commit that wrote them or, when no standby's position is known, for {@code horizon} (issue 17.6).
     */
    public JournalKeeper withStandbyHorizon(Duration horizon) {
        this.standbyHorizon = horizon;
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
            database = databaseIdentity();
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
        if (mayJoinLife()) {
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
            UUID current = UUID.randomUUID();
            // The grid may hold counts of a life whose "life" entry it lost: partitions move one by one, and a
            // member left with some of them but not that entry's (issue 18, seed 21) once named a new life and
            // replayed the old one's journals while those entries wrote the same counts again. Their life goes on.
            // Read only when the entry is missing: marks left by a life that just ended are overwritten
            // by the next life's first member, and must not be taken for that life's once it is named.
            Optional<UUID> held = protocol.get(RecoveryGate.LIFE) == null ? lifeOfTheMarks() : Optional.empty();
            String proposed = held.orElse(current).toString();
            String existing = SettingWrites.untilKnown("joining the grid life",
                    () -> protocol.putIfAbsent(RecoveryGate.LIFE, proposed), SETTING_PATIENCE);
            // A try whose outcome was unknown may have written this member's own proposal: then it set the life.
            life = UUID.fromString(existing == null ? proposed : existing);
            boolean named = life.equals(current);
            boolean kept = held.isPresent() && (existing == null || existing.equals(proposed));
            log.info("grid life {} ({}); journal {}", life, named ? "new: no member held data"
                    : kept ? "kept: the grid holds its counts, its life entry was lost" : "joined", journal.directory());
            endOtherLives(life);
            // Enforced before the journal is ready, which its first operation waits for: from then on a seal
            // on a partition without its mark is withheld. No partition ever counts unmarked, so an unmarked
            // partition whose journals hold counts was lost, never merely not marked yet. Enforced only once
            // the recovery started, a member that joined while the grid held unmarked copies (a stale side
            // merged into) sealed and wrote them over their replay (issue 18, seed 23 on 1025044).
            journal.enforcePartitionMarks();
            // Registered before its first record, not now: a process that fails before it journals
            // anything leaves nothing for a later life to wait for (issue 27).
            journal.open(life, database, () -> register(journal.id(), life));
            journalOpened.run();
            // Partitions lost with every replica while the grid lives on refuse counting until replayed (issue 17.5).
            lostPartitions = new LostPartitionRecovery(this, journal, grid, dataSource, clock).start(named, life.toString());
            // Another member's keeper that found nothing awaited opens this member too, at once
            // rather than at this keeper's next reading of PostgreSQL.
            gateListener = protocol.addEntryListener((com.hazelcast.map.listener.EntryUpdatedListener<String, String>) e -> {
                if ("".equals(e.getValue()) && !lifeEnded) {
                    journal.openCounting();
                }
            }, RecoveryGate.AWAITING, true);
            publishGate();
            journal.whileHoldingRootLock(() -> journal.otherDirectories().forEach(this::recoverIfDead));
            publishGate();
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
        scheduler.scheduleWithFixedDelay(this::sweepQuietly, 60, 60, TimeUnit.SECONDS);
    }

    /**
     * The life whose counts the grid still holds, read from the partition marks (replicated and merged
     * like the counters, so they survive wherever counter entries do); empty when no partition is marked.
     * Marks of a life PostgreSQL has ended (or of several lives) are dropped with every counter entry:
     * PostgreSQL refuses that life's writes, and the journals replayed by the next life hold its counts.
     * Entries without any mark are dropped too: nothing names their life, and marked by the next one they
     * would write what its replay of their journals writes (issue 18, seed 23: a side without the majority
     * removes its marks and leaves its entries).
     */
    private Optional<UUID> lifeOfTheMarks() {
        CounterGrid counters = GridMember.counterGrid(grid);
        Set<String> lives = counters.markLives();
        if (lives.isEmpty()) {
            int dropped = counters.dropAll();
            if (dropped > 0) {
                log.warn("dropped {} counter entries that no partition mark names a life for: their journals, replayed by the "
                        + "next life, hold their counts", dropped);
            }
            return Optional.empty();
        }
        if (lives.size() == 1) {
            UUID held = UUID.fromString(lives.iterator().next());
            if (endedBy(held) == null) {
                return Optional.of(held);
            }
        }
        int dropped = counters.dropAll();
        lives.forEach(counters::removeMarks);
        log.warn("dropped {} counter entries and the partition marks of grid life(s) {} (ended in PostgreSQL, or more than one): "
                + "their journals, replayed by the next life, hold their counts", dropped, lives);
        return Optional.empty();
    }

    /** The life that ended {@code gridLife} in PostgreSQL, or null while it lives. */
    private String endedBy(UUID gridLife) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ended_by FROM grid_life WHERE id = ? AND ended_at IS NOT NULL")) {
            ps.setObject(1, gridLife);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read grid_life: " + e.getMessage(), e);
        }
    }

    /**
     * Records {@code life} in PostgreSQL and ends every other one there, before anything of theirs
     * is replayed: a member of an older life cut off from the grid may still hold counts this life
     * replays from its journals, and PostgreSQL refuses that member's batches from now on
     * ({@code CounterWriter}, {@code EndedLifeException}). Refuses to join a life already ended.
     */
    private void endOtherLives(UUID life) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO grid_life (id) VALUES (?) ON CONFLICT DO NOTHING")) {
                    ps.setObject(1, life);
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT ended_by, ended_at FROM grid_life WHERE id = ? AND ended_at IS NOT NULL")) {
                    ps.setObject(1, life);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            throw new IllegalStateException("grid life " + life + " was ended by grid life " + rs.getString(1) + " at "
                                    + rs.getString(2) + ": this member belongs to a grid cut off from the living one; restart it "
                                    + "where it reaches the living grid");
                        }
                    }
                }
                int ended;
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE grid_life SET ended_at = now(), ended_by = ? WHERE ended_at IS NULL AND id <> ?")) {
                    ps.setObject(1, life);
                    ps.setObject(2, life);
                    ended = ps.executeUpdate();
                }
                c.commit();
                if (ended > 0) {
                    log.info("ended {} earlier grid life(s) in PostgreSQL: a member still in one writes nothing more", ended);
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record grid life " + life + " in PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** Whether this member sees the split-brain majority of data members. */
    boolean hasMajority() {
        return quorum.apply(grid.getCluster().getMembers());
    }

    /**
     * The majority, as Hazelcast's split-brain protection (which guards the journal protocol map) sees
     * it too: it applies the same function, but only at membership events, so just after a join it can
     * still refuse the protocol map to a member that sees the majority.
     */
    private boolean mayJoinLife() {
        return hasMajority() && (!grid.getConfig().getSplitBrainProtectionConfigs().containsKey(GridMember.MAJORITY)
                || grid.getSplitBrainProtectionService().getSplitBrainProtection(GridMember.MAJORITY).hasMinimumSize());
    }

    private long dataMembersSeen() {
        return quorum.voters(grid.getCluster().getMembers());
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
            long seen = dataMembersSeen();
            if (mayJoinLife()) {
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
                        + "waiting", seen, quorum.minimum());
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

    /** The journals of dead lives awaited now (0 when counting is open): why gateways answer 503. */
    public int awaitingCount() {
        return awaitingCount;
    }

    /** Their description (directory, life, host, path, whether the files exist), empty when none. */
    public String awaiting() {
        return lastAwaiting == null ? "" : lastAwaiting;
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

    private void recoverIfDead(Path dir) {
        Optional<UUID> id = directoryId(dir);
        if (id.isEmpty() || MemberJournal.inUse(dir)) {
            return;
        }
        Optional<String> owner = MemberJournal.databaseOf(dir);
        if (owner.isPresent() && !owner.get().equals(database)) {
            log.warn("journal {} belongs to another database ({}): left alone", dir, owner.get());
            return;
        }
        Optional<UUID> registered = registeredLife(id.get());
        if (registered.isEmpty()) {
            if (owner.isEmpty() && !MemberJournal.files(dir).isEmpty()) {
                // Written before directories named their database: it may be another database's.
                log.warn("journal {} names no database and is not registered in this one: left alone (delete it by hand "
                        + "if no other database's AdGrid uses this journal root)", dir);
                return;
            }
            // Never held a record (its process failed before journaling anything) or already replayed.
            log.info("journal {} is not registered: nothing in it is needed, deleting it", dir);
            MemberJournal.deleteDirectory(dir);
        } else if (!registered.get().equals(life)) {
            boolean stopped = MemberJournal.stoppedGracefully(dir);
            long began = System.nanoTime();
            Recovery r = recover(id.get(), dir);
            recoveries.add(r);
            log.info("replayed journal {} of {} grid life {} in {} ms: {} slices, {} added to PostgreSQL ({} events), {} already there; "
                    + "{} identities remembered by the new grid", dir, stopped ? "the gracefully stopped" : "the dead",
                    registered.get(), (System.nanoTime() - began) / 1_000_000, r.slices(), r.slicesAddedToPostgres(),
                    r.eventsCounted(), r.slicesAlreadyThere(), r.identitiesRemembered());
        }
    }

    /** One slice as read from a journal file, with the minute the file is kept until. */
    private record FileSlice(long keepMinute, AppliedSlice slice) {
    }

    private Recovery recover(UUID id, Path dir) {
        Recovery r = replay(id, dir, slice -> true, this::notInPostgres, Identities.JOURNALED_AGAIN);
        unregister(id);
        MemberJournal.deleteDirectory(dir);
        return r;
    }

    /**
     * Replays the slices of a journal directory of this life that {@code which} selects, as after the
     * death of the whole grid: the counts PostgreSQL lacks (each slice once, however many journals
     * hold it), then the identities still in their window, which the directory keeps as long as they
     * matter. Leaves the directory as it is; can be repeated.
     */
    Recovery replay(UUID id, Path dir, Predicate<AppliedSlice> which) {
        return replay(id, dir, which, this::notInPostgres, Identities.LOADED);
    }

    /** What a replay does with the identities it reads. */
    private enum Identities {
        /** Not loaded: the entries they belong to live on (lost writes). */
        NONE,
        /** Loaded and journaled by the members that take them: their directory is deleted once replayed (a dead life's). */
        JOURNALED_AGAIN,
        /** Loaded, not journaled again: their directory stays registered until they leave their window (this life's). */
        LOADED
    }

    /** Picks, from a chunk of journaled slices that count, the counts PostgreSQL lacks and the key each is recorded under. */
    private interface Lacking {
        List<MissingSlice> of(List<FileSlice> counted);
    }

    /** What PostgreSQL does not hold by the epochs' watermarks (the grid that counted them is gone, or lost these partitions). */
    private List<MissingSlice> notInPostgres(List<FileSlice> counted) {
        Map<UUID, Watermark> watermarks = watermarks(counted.stream().map(s -> s.slice().epoch()).toList());
        List<MissingSlice> missing = new ArrayList<>();
        for (FileSlice s : counted) {
            CounterDeltas lacking = s.slice().deltasNotHeldBy(watermarks.getOrDefault(s.slice().epoch(), Watermark.NONE));
            if (!lacking.isEmpty()) {
                missing.add(new MissingSlice(s, lacking));
            }
        }
        return missing;
    }

    private Recovery replay(UUID id, Path dir, Predicate<AppliedSlice> which, Lacking lacking, Identities identities) {
        List<Path> files = MemberJournal.files(dir);
        long bytes = 0;
        for (Path file : files) {
            bytes += file.toFile().length();
        }
        log.info("replaying journal {}: {} files, {} MB", dir, files.size(), bytes >> 20);
        long[] totals = new long[5];
        for (Path file : files) {
            long keep = MemberJournal.keepUntilMinuteOf(file);
            // In chunks: a file may hold a minute of a busy grid's traffic.
            MemberJournal.read(file, RECORDS_PER_CHUNK, chunk -> {
                List<FileSlice> slices = chunk.stream().filter(which).map(s -> new FileSlice(keep, s)).toList();
                if (slices.isEmpty()) {
                    return;
                }
                int[] added = addMissingCounts(slices, lacking);
                totals[0] += slices.size();
                totals[1] += added[0];
                totals[2] += added[1];
                totals[3] += added[2];
                if (identities != Identities.NONE) {
                    totals[4] += rememberIdentities(slices, identities == Identities.JOURNALED_AGAIN);
                }
            });
        }
        return new Recovery(id, (int) totals[0], (int) totals[1], (int) totals[2], totals[3], totals[4]);
    }

    /** Adds the counts PostgreSQL lacks; returns {slices added, slices already there, events added}. */
    private int[] addMissingCounts(List<FileSlice> slices, Lacking lacking) {
        List<FileSlice> counted = slices.stream().filter(s -> !s.slice().identitiesOnly()).toList();
        List<MissingSlice> missing = new ArrayList<>(lacking.of(counted));
        // One lock order for concurrent recoveries of the same slices (another process on the same root).
        missing.sort(Comparator.comparingLong((MissingSlice m) -> m.file().slice().routeKey())
                .thenComparingLong(m -> m.file().slice().batchGateway())
                .thenComparingLong(m -> m.file().slice().batchSequence()).thenComparingLong(m -> m.file().keepMinute()));
        int added = 0;
        long events = 0;
        for (int from = 0; from < missing.size(); from += SLICES_PER_TRANSACTION) {
            List<MissingSlice> chunk = missing.subList(from, Math.min(missing.size(), from + SLICES_PER_TRANSACTION));
            List<MissingSlice> inserted = insertRecovered(chunk);
            added += inserted.size();
            for (MissingSlice m : inserted) {
                events += m.events();
            }
        }
        return new int[] {added, counted.size() - added, (int) events};
    }

    /** A journaled slice with the part of its counts PostgreSQL lacks (all, or those of minutes no partial batch took yet). */
    private record MissingSlice(FileSlice file, CounterDeltas deltas) {

        long events() {
            long n = 0;
            for (Counts c : deltas.asMap().values()) {
                n += c.impressions + c.clicks + c.suspectClicks + c.invalid + c.conversions;
            }
            return n;
        }
    }

    private List<MissingSlice> insertRecovered(List<MissingSlice> chunk) {
        CounterDeltas all = new CounterDeltas();
        chunk.forEach(m -> all.addAll(m.deltas()));
        counterWriter.ensurePartitions(all);
        Map<List<Long>, MissingSlice> byKey = new HashMap<>();
        Long[][] cols = new Long[4][chunk.size()];
        for (int i = 0; i < chunk.size(); i++) {
            FileSlice s = chunk.get(i).file();
            cols[0][i] = s.slice().routeKey();
            cols[1][i] = s.slice().batchGateway();
            cols[2][i] = s.slice().batchSequence();
            cols[3][i] = s.keepMinute();
            byKey.put(List.of(cols[0][i], cols[1][i], cols[2][i], cols[3][i]), chunk.get(i));
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<MissingSlice> inserted = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO journal_recovered_slice (route_key, batch_gateway, batch_seq, keep_minute)
                        SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
                        ON CONFLICT DO NOTHING
                        RETURNING route_key, batch_gateway, batch_seq, keep_minute""")) {
                    for (int col = 0; col < 4; col++) {
                        ps.setArray(col + 1, c.createArrayOf("bigint", cols[col]));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            inserted.add(byKey.get(List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4))));
                        }
                    }
                }
                CounterDeltas deltas = new CounterDeltas();
                List<io.adgrid.grid.reach.ReachSketch> reach = new ArrayList<>();
                inserted.forEach(m -> {
                    deltas.addAll(m.deltas());
                    reach.addAll(m.file().slice().reach());
                });
                CounterWriter.addCounts(c, deltas);
                CounterWriter.addReach(c, reach);
                c.commit();
                return inserted;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot replay a journal into PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** Makes the new grid remember the identities still inside their window; returns how many it took. */
    private long rememberIdentities(List<FileSlice> slices, boolean journalAgain) {
        long nowMinute = Math.floorDiv(clock.millis(), 60_000L);
        CounterGrid counters = GridMember.counterGrid(grid);
        long gateway = ThreadLocalRandom.current().nextLong();
        long sequence = 0;
        long remembered = 0;
        Map<Long, List<GridEvent>> batch = new HashMap<>();
        int inBatch = 0;
        long orderExpires = 0;
        for (FileSlice s : slices) {
            if (s.keepMinute() < nowMinute) {
                continue;
            }
            batch.computeIfAbsent(s.slice().routeKey(), k -> new ArrayList<>()).addAll(s.slice().events());
            inBatch += s.slice().events().size();
            orderExpires = Math.max(orderExpires, s.slice().orderExpiresMinute());
            if (inBatch >= EVENTS_PER_CALL) {
                remembered += remember(counters, new BatchId(gateway, ++sequence), orderExpires, batch, journalAgain, inBatch);
                batch = new HashMap<>();
                inBatch = 0;
            }
        }
        if (inBatch > 0) {
            remembered += remember(counters, new BatchId(gateway, ++sequence), orderExpires, batch, journalAgain, inBatch);
        }
        return remembered;
    }

    /**
     * How long an identities-only batch is sent again: while members join and leave, a call's
     * backups may go unacknowledged for a minute or more (fault runner, seed 3: five attempts in 10 s
     * failed the start of two members, and the grid waited for their journals). Giving up only
     * starts the whole replay again after a restart.
     */
    private static final Duration IDENTITY_LOAD_PATIENCE = Duration.ofMinutes(5);
    /** How long joining the grid life keeps trying a write whose outcome is unknown (a busy box at start). */
    private static final Duration SETTING_PATIENCE = Duration.ofMinutes(2);

    /** Sends one identities-only batch; returns how many of its events were new to the grid. */
    private static long remember(CounterGrid counters, BatchId batch, long orderExpires, Map<Long, List<GridEvent>> eventsByKey,
                                 boolean journalAgain, int events) {
        long giveUpAt = System.nanoTime() + IDENTITY_LOAD_PATIENCE.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                long known = counters.remember(batch, orderExpires, eventsByKey, journalAgain).get(5, TimeUnit.MINUTES);
                return events - known;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while loading identities into the grid", e);
            } catch (Exception e) {
                // Remembering an identity twice changes nothing: a call whose backups were not
                // acknowledged in time (members still joining, a busy box) is simply sent again.
                if (System.nanoTime() - giveUpAt > 0) {
                    throw new IllegalStateException("cannot load a journal's identities into the grid: " + e.getMessage(), e);
                }
                log.warn("loading identities into the grid, attempt {} failed, sending again: {}", attempt, e.toString());
                try {
                    Thread.sleep(1_000L * Math.min(attempt, 10));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while loading identities into the grid", interrupted);
                }
            }
        }
    }

    /**
     * Publishes whether journals of earlier lives are still registered (the gate of every gateway),
     * and says which, every 30 s while they are.
     */
    public void publishGate() {
        if (lifeEnded || endedLife()) {
            return;
        }
        List<String> awaiting = new ArrayList<>();
        String here = hostName();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT id, grid_life, host, path, stopped_at IS NOT NULL, counts_in_postgres FROM journal_directory
                     WHERE grid_life <> ? AND NOT (counts_in_postgres AND needed_until < now())
                     ORDER BY registered_at, id""")) {
            ps.setObject(1, life);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String host = rs.getString(3);
                    String path = rs.getString(4);
                    String files = !host.equals(here) ? "files not checked: on another host"
                            : Files.isDirectory(Path.of(path)) ? "files present" : "files MISSING";
                    String how = rs.getBoolean(5) ? (rs.getBoolean(6) ? "stopped gracefully, counts in PostgreSQL: identities only"
                            : "stopped gracefully") : "its process died or was killed";
                    awaiting.add(rs.getString(1) + " (life " + rs.getString(2) + ", " + host + ":" + path + ", " + files + ", " + how + ")");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the journal directories: " + e.getMessage(), e);
        }
        String value = String.join("; ", awaiting);
        protocol.putIfAbsent(RecoveryGate.LIFE, life.toString());
        protocol.set(RecoveryGate.AWAITING, value);
        awaitingCount = awaiting.size();
        if (awaiting.isEmpty()) {
            journal.openCounting();
        } else {
            journal.refuseCounting("journals of a dead grid life await replay: " + value);
        }
        long now = clock.millis();
        if (!value.isEmpty() && (!value.equals(lastAwaiting) || now - lastAwaitingLog > 30_000)) {
            log.warn("gateways answer 503 until these journals of an earlier life of the grid are replayed: {}. Start the AdGrid "
                    + "processes that own them (same journal directory); if a disk is lost for good, "
                    + "./adgrid journal give-up <id> (it says what only that journal held)", value);
            lastAwaitingLog = now;
        } else if (value.isEmpty() && lastAwaiting != null && !lastAwaiting.isEmpty()) {
            log.info("every journal of earlier grid lives is replayed: gateways count again");
        }
        lastAwaiting = value;
    }

    /**
     * Whether a newer life has ended this member's. If so, once: this member stops taking counting
     * batches and stops publishing the gate (its view of which journals are dead is the old life's
     * and would close the living grid's gate), and {@link #onRestartNeeded} runs.
     */
    private boolean endedLife() {
        String endedBy = endedBy(life);
        if (endedBy == null) {
            return false;
        }
        lifeEnded = true;
        journal.refuseCounting("this member's grid life " + life + " was ended by " + endedBy + ": it must be started again");
        log.error("this member's grid life {} was ended by grid life {}: this member was cut off from the grid while the other side "
                + "went on without it, and replays its journals. It writes and counts nothing more; started again, its journal "
                + "{} is replayed into the living grid", life, endedBy, journal.directory());
        onRestartNeeded.run();
        return true;
    }

    private void publishGateQuietly() {
        try {
            publishGate();
        } catch (RuntimeException e) {
            log.debug("gate not published: {}", e.getMessage());
        }
        try {
            auditIfAnotherDatabaseServer();
        } catch (RuntimeException e) {
            log.warn("write-behind watermarks not checked against the grid yet, will retry: {}", e.getMessage());
        }
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
            if (journal.holdsRecords() && life != null) {
                // A promoted standby may lack this directory's registration: a later total loss must still replay it.
                register(journal.id(), life);
            }
            auditOwnEntries();
            auditDue = false;
        }
    }

    /** Compares PostgreSQL's watermarks with what this member's own entries acknowledged, and repairs the epochs behind. */
    void auditOwnEntries() {
        repairLostWrites(acknowledgedWatermarks());
    }

    /** What this member's own entries know PostgreSQL holds, by epoch. */
    private Map<UUID, Watermark> acknowledgedWatermarks() {
        return GridMember.counterGrid(grid).acknowledgedWatermarks();
    }

    /** The write-behind found PostgreSQL behind these entries: repairs them now, and checks every own entry next. */
    public void lostWritesFound(Map<UUID, Watermark> acknowledged) {
        auditDue = true;
        repairLostWrites(acknowledged);
    }

    /**
     * Writes again the counts of write-behind batches the grid acknowledged (and dropped) that
     * PostgreSQL no longer holds: every data member replays the journals on its root
     * ({@link LostWritesReplay}), each slice added once however many journals hold it; only once all
     * have answered are those epochs' watermarks set to what was acknowledged, so the write-behind
     * goes on. A member that does not answer leaves them behind, and the repair runs again. Can be repeated.
     */
    public void repairLostWrites(Map<UUID, Watermark> acknowledged) {
        synchronized (repairLock) {
            if (life == null || acknowledged.isEmpty()) {
                return;
            }
            Map<UUID, Watermark> held = watermarks(acknowledged.keySet());
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
            List<com.hazelcast.cluster.Member> dataMembers = grid.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).toList();
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
     * once ({@link #lostWritesKey}). Returns {slices read, slices added, events added}.
     */
    /**
     * The {@code keep_minute} under which a repair records a journal record in
     * {@code journal_recovered_slice}: the record's file (a slice spanning minutes is journaled as
     * one record per file, each added) and the acknowledged batch (a later loss of other batches of
     * the same record is added again), negative so that it never meets a replay's key (a file's
     * minute, below 2^26 until the year 2097).
     */
    static long lostWritesKey(long acknowledgedSeq, long keepMinute) {
        return -1 - Math.addExact(Math.multiplyExact(acknowledgedSeq, 1L << 26), keepMinute);
    }

    long[] replayLostWrites(Map<UUID, Watermark> acknowledged, Map<UUID, Watermark> held) {
        UUID current = life;
        if (current == null) {
            return new long[3]; // not in the life yet: it holds none of its records
        }
        Lacking lost = counted -> {
            List<MissingSlice> missing = new ArrayList<>();
            for (FileSlice s : counted) {
                Watermark acked = acknowledged.get(s.slice().epoch());
                CounterDeltas deltas = acked == null ? null
                        : s.slice().deltasHeldByButNot(acked, held.getOrDefault(s.slice().epoch(), Watermark.NONE));
                if (deltas != null && !deltas.isEmpty()) {
                    missing.add(new MissingSlice(new FileSlice(lostWritesKey(acked.lastSeq(), s.keepMinute()), s.slice()), deltas));
                }
            }
            return missing;
        };
        List<Path> dirs = new ArrayList<>();
        dirs.add(journal.directory());
        journal.otherDirectories().stream().filter(d -> MemberJournal.lifeOf(d).map(current::equals).orElse(false)).forEach(dirs::add);
        long[] totals = new long[3];
        for (Path dir : dirs) {
            Optional<UUID> id = directoryId(dir);
            if (id.isPresent() && Files.isDirectory(dir)) {
                Recovery r = replay(id.get(), dir, slice -> acknowledged.containsKey(slice.epoch()), lost, Identities.NONE);
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

    /**
     * Deletes the journal files of this life whose time has passed and whose every count is in
     * PostgreSQL, and the directories (with their registrations) that end up empty. Returns the
     * files deleted.
     */
    public int sweep() {
        long nowMinute = Math.floorDiv(clock.millis(), 60_000L);
        int deleted = 0;
        List<Path> dirs = new ArrayList<>();
        dirs.add(journal.directory());
        dirs.addAll(journal.otherDirectories());
        for (Path dir : dirs) {
            boolean own = dir.equals(journal.directory());
            boolean dead = !own && !MemberJournal.inUse(dir);
            if (!own && !MemberJournal.lifeOf(dir).map(life::equals).orElse(false)) {
                continue;
            }
            List<Path> files = MemberJournal.files(dir);
            List<Path> written = new ArrayList<>();
            for (Path file : files) {
                if (MemberJournal.keepUntilMinuteOf(file) < nowMinute && allWritten(List.of(file))) {
                    written.add(file);
                }
            }
            // Read after the watermarks: the commits that wrote these files are at or before this position.
            Replication replication = written.isEmpty() ? null : replication();
            for (Path file : written) {
                if (!replicated(file, replication)) {
                    continue;
                }
                if (own) {
                    journal.closeFilesBefore(MemberJournal.keepUntilMinuteOf(file) + 1);
                }
                deleteQuietly(file);
                writtenAt.remove(file);
                deleted++;
            }
            if (dead && MemberJournal.files(dir).isEmpty()) {
                directoryId(dir).ifPresent(this::unregister);
                MemberJournal.deleteDirectory(dir);
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM journal_recovered_slice WHERE recovered_at < now() - interval '7 days'")) {
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot clean journal_recovered_slice: " + e.getMessage(), e);
        }
        return deleted;
    }

    /** The primary's WAL position, and the oldest replay position of its standbys when every one is known. */
    private record Replication(long currentLsn, Long oldestStandbyReplay) {
    }

    private Replication replication() {
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("""
                     SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint,
                            (SELECT CASE WHEN count(*) > 0 AND count(replay_lsn) = count(*)
                                         THEN min(replay_lsn - '0/0'::pg_lsn)::bigint END FROM pg_stat_replication)""")) {
            rs.next();
            long current = rs.getLong(1);
            long oldest = rs.getLong(2);
            return new Replication(current, rs.wasNull() ? null : oldest);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the standbys' replay positions: " + e.getMessage(), e);
        }
    }

    /**
     * Whether a written journal file may go: every standby has replayed the commits that wrote it
     * (a promotion cannot lose them), or, with no standby's position known (none listed, or the role
     * may not read pg_stat_replication's positions), the horizon has
     * passed since the file was first found written. A standby that is disconnected is not listed:
     * while another one is, only the listed ones count.
     */
    private boolean replicated(Path file, Replication now) {
        long[] at = writtenAt.computeIfAbsent(file, f -> new long[] {now.currentLsn(), clock.millis()});
        if (now.oldestStandbyReplay() != null) {
            return now.oldestStandbyReplay() >= at[0];
        }
        return clock.millis() - at[1] >= standbyHorizon.toMillis();
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.debug("journal sweep skipped: {}", e.getMessage());
        }
    }

    /** Whether PostgreSQL holds every count in these journal files (see {@link Watermark#holds}). */
    private boolean allWritten(List<Path> files) {
        Map<UUID, Watermark> known = new HashMap<>();
        boolean[] held = {true};
        for (Path file : files) {
            long keep = MemberJournal.keepUntilMinuteOf(file);
            MemberJournal.read(file, RECORDS_PER_CHUNK, chunk -> {
                if (!held[0]) {
                    return;
                }
                List<UUID> unknown = chunk.stream().map(AppliedSlice::epoch).filter(e -> !known.containsKey(e)).distinct().toList();
                Map<UUID, Watermark> read = watermarks(unknown);
                unknown.forEach(e -> known.put(e, read.getOrDefault(e, Watermark.NONE)));
                // A slice of a lost partition never reaches its watermark: a replay added it (issue 17.5).
                List<AppliedSlice> unheld = chunk.stream().filter(s -> !s.heldBy(known.get(s.epoch()))).toList();
                held[0] = unheld.isEmpty() || allRecovered(unheld, keep);
            });
            if (!held[0]) {
                return false;
            }
        }
        return true;
    }

    /** Whether a replay already added every one of these slices (of one file) to PostgreSQL ({@code journal_recovered_slice}). */
    private boolean allRecovered(List<AppliedSlice> slices, long keepMinute) {
        Set<List<Long>> distinct = new HashSet<>();
        slices.forEach(s -> distinct.add(List.of(s.routeKey(), s.batchGateway(), s.batchSequence())));
        Long[][] cols = new Long[3][distinct.size()];
        int i = 0;
        for (List<Long> key : distinct) {
            for (int col = 0; col < 3; col++) {
                cols[col][i] = key.get(col);
            }
            i++;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT count(*) FROM journal_recovered_slice r "
                     + "JOIN unnest(?::bigint[], ?::bigint[], ?::bigint[]) AS s(route_key, batch_gateway, batch_seq) "
                     + "ON r.route_key = s.route_key AND r.batch_gateway = s.batch_gateway AND r.batch_seq = s.batch_seq "
                     + "WHERE r.keep_minute = ?")) {
            for (int col = 0; col < 3; col++) {
                ps.setArray(col + 1, c.createArrayOf("bigint", cols[col]));
            }
            ps.setLong(4, keepMinute);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == distinct.size();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read journal_recovered_slice: " + e.getMessage(), e);
        }
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
                unregister(journal.id());
            }
            log.info("journal {} dropped: it holds no record", journal.directory());
            return true;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        boolean written = false;
        while (!written) {
            try {
                written = allWritten(files);
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
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     UPDATE journal_directory SET stopped_at = now(), counts_in_postgres = ?, needed_until = to_timestamp(? * 60)
                     WHERE id = ?""")) {
            ps.setBoolean(1, written);
            ps.setLong(2, neededUntilMinute);
            ps.setObject(3, UUID.fromString(journal.id()));
            ps.executeUpdate();
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
        if (gateListener != null) {
            try {
                protocol.removeEntryListener(gateListener);
            } catch (RuntimeException e) {
                log.debug("gate listener not removed: {}", e.getMessage());
            }
        }
        journal.close();
        if (journal.life() != null && !journal.holdsRecords()) {
            MemberJournal.deleteDirectory(journal.directory());
        }
    }

    /** This database, as journal roots and directories name it: PostgreSQL's system identifier and the database's name. */
    /** The database's own id (V10), with its name for the humans reading a refusal. */
    private String databaseIdentity() {
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, current_database() FROM adgrid_database")) {
            if (!rs.next()) {
                throw new IllegalStateException("table adgrid_database is empty: the schema's migration V10 made its one row");
            }
            return "adgrid database " + rs.getString(1) + " (" + rs.getString(2) + ")";
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read which database this is: " + e.getMessage(), e);
        }
    }

    private Map<UUID, Watermark> watermarks(Collection<UUID> epochs) {
        try (Connection c = dataSource.getConnection()) {
            return Watermarks.read(c, epochs);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read write-behind watermarks: " + e.getMessage(), e);
        }
    }

    private void register(String id, UUID gridLife) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO journal_directory (id, grid_life, host, path) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
            ps.setObject(1, UUID.fromString(id));
            ps.setObject(2, gridLife);
            ps.setString(3, hostName());
            ps.setString(4, journal.directory().toAbsolutePath().toString());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot register the journal in PostgreSQL: " + e.getMessage(), e);
        }
    }

    private void unregister(UUID id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM journal_directory WHERE id = ?")) {
            ps.setObject(1, id);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot unregister journal " + id + ": " + e.getMessage(), e);
        }
    }

    private void unregister(String id) {
        unregister(UUID.fromString(id));
    }

    private Optional<UUID> registeredLife(UUID id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT grid_life FROM journal_directory WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read journal registrations: " + e.getMessage(), e);
        }
    }

    private static Optional<UUID> directoryId(Path dir) {
        try {
            return Optional.of(UUID.fromString(dir.getFileName().toString()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown-host";
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            log.warn("cannot delete journal file {}: {}", file, e.getMessage());
        }
    }
}
