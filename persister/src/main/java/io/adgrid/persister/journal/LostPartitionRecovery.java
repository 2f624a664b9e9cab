package io.adgrid.persister.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.GridMember;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings back partitions that lost their owner and backups together while the grid lived on
 * (issue 17.5): Hazelcast hands such a partition to a living member empty, its counts and
 * identities gone from memory, while the dead members' journals still hold them on disk.
 *
 * <p>Every data member, every second: the partitions without their mark ({@link CounterGrid#unmarkedPartitions}) are
 * lost (members refuse counting batches on them, so clients get {@code 503 recovering}). The first
 * member to see a loss records it in the grid ({@link #KEY}: the lost partitions, and every journal
 * directory registered in this grid life, since any of them may hold slices of those partitions).
 * Each member replays, for the lost partitions only, its own directory and the directories of dead
 * processes on its journal root (a dead member's comes back when it restarts on its volume), exactly
 * as after a total loss ({@link JournalReplay#replay(UUID, Path, java.util.function.Predicate)}: counts PostgreSQL lacks by the watermarks,
 * each slice once however many journals hold it; then identities), and crosses them off. A
 * directory that is no longer registered (given up, or swept once everything in it was written) is
 * crossed off too. When none is left, the partitions are marked and count again.
 *
 * <p>Only a member that sees the majority of data members does any of this (see {@link #reconcile}).
 * A member that loses the majority removes every mark its side holds (issue 18, seeds 26 and 30): its
 * copies stop where the cut left them while the majority may count on, so once it has the majority
 * again without a merge (the other side emptied and its members, started again, joined this one)
 * those copies are leftovers like a lost partition's, dropped and rebuilt from the journals. On a
 * merge the side with more data members (the majority) is merged into and keeps its own marks
 * ({@code DiscardMergePolicy}), so dropping them costs nothing there.
 *
 * <p>Slices of the other partitions are not touched: their counts still live in a surviving replica.
 * Every step can be repeated; a loss noticed during a recovery joins it.
 */
public final class LostPartitionRecovery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LostPartitionRecovery.class);
    /** Key of the loss being recovered in the journal protocol map, absent when none. */
    public static final String KEY = "lost-partitions";
    /**
     * How long after a loss is recorded its replay starts: a write-behind transaction of that
     * partition already in flight on a surviving process (an admin flush) commits first, so the
     * replay reads its watermark.
     */
    static final long GRACE_MILLIS = 5_000;

    /**
     * A loss being recovered: partitions without their mark, the journal directories still to replay
     * for them, and the data members that hold the copies the replays fill. Should any of those leave,
     * the copies (and the identities replayed into them) may be gone: the recovery starts over in a new
     * {@code generation}, and a replay done in an earlier one crosses nothing off.
     */
    record Loss(Set<Integer> partitions, Set<String> awaiting, long sinceMillis, Set<String> members, long generation) {

        static final Loss NONE = new Loss(Set.of(), Set.of(), 0, Set.of(), 0);

        boolean isEmpty() {
            return partitions.isEmpty();
        }

        String encode() {
            return join(partitions) + "|" + join(awaiting) + "|" + sinceMillis + "|" + join(members) + "|" + generation;
        }

        static Loss decode(String value) {
            if (value == null || value.isEmpty()) {
                return NONE;
            }
            String[] parts = value.split("\\|", -1);
            Set<Integer> partitions = split(parts[0]).stream().map(Integer::valueOf).collect(Collectors.toCollection(TreeSet::new));
            // A record of a version before members and generations: no member known, generation 0.
            return parts.length < 5 ? new Loss(partitions, split(parts[1]), Long.parseLong(parts[2]), Set.of(), 0)
                    : new Loss(partitions, split(parts[1]), Long.parseLong(parts[2]), split(parts[3]), Long.parseLong(parts[4]));
        }

        Loss without(String directory) {
            Set<String> rest = new TreeSet<>(awaiting);
            rest.remove(directory);
            return new Loss(partitions, rest, sinceMillis, members, generation);
        }

        Loss withMembers(Set<String> present) {
            return new Loss(partitions, awaiting, sinceMillis, new TreeSet<>(present), generation);
        }

        /** Members of the record that are not {@code present}. */
        Set<String> gone(Set<String> present) {
            Set<String> gone = new TreeSet<>(members);
            gone.removeAll(present);
            return gone;
        }

        private static String join(Set<?> values) {
            return values.stream().map(Object::toString).sorted().collect(Collectors.joining(","));
        }

        private static Set<String> split(String csv) {
            return csv.isEmpty() ? new TreeSet<>() : new TreeSet<>(Arrays.asList(csv.split(",")));
        }
    }

    private final JournalKeeper keeper;
    private final MemberJournal journal;
    private final IMap<String, String> protocol;
    private final CounterGrid counters;
    private final JournalRegistry registry;
    private final Clock clock;
    private final com.hazelcast.cluster.Cluster cluster;
    private ScheduledExecutorService scheduler;
    private String lastLogged;
    /** Whether a recovery round saw this member without the majority since it last had it. */
    private boolean minoritySeen;
    /** Set whenever this member is seen without the majority; reset only by a removal of the marks that succeeded. */
    private volatile boolean marksRemovalOwed;
    /**
     * Removes the marks on a thread of its own: a recovery round can take minutes (a replay, PostgreSQL
     * unreachable), and the marks must be gone before this side can have the majority again.
     */
    private final ScheduledExecutorService marksRemover = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "adgrid-marks-removal");
        t.setDaemon(true);
        return t;
    });
    private UUID membershipListener;
    private Set<Integer> unmarkedLastRound = Set.of();
    /** Reads the partitions without their mark (a test makes it answer late, as a slow {@code getAll} did). */
    java.util.function.Supplier<Set<Integer>> unmarkedReading;
    private long lastLoggedAt;

    LostPartitionRecovery(JournalKeeper keeper, MemberJournal journal, HazelcastInstance grid, DataSource dataSource, Clock clock) {
        this.keeper = keeper;
        this.journal = journal;
        this.protocol = grid.getMap(RecoveryGate.MAP);
        this.counters = GridMember.counterGrid(grid);
        this.unmarkedReading = counters::unmarkedPartitions;
        this.registry = new JournalRegistry(dataSource);
        this.clock = clock;
        this.cluster = grid.getCluster();
    }

    /**
     * Marks every partition if this member started a new grid life, then checks for lost partitions
     * every second. The keeper made the journal enforce the marks before it opened it.
     */
    LostPartitionRecovery start(boolean newLife, String life) {
        if (newLife) {
            counters.markAll(life);
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-lost-partitions");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                reconcile(life);
            } catch (RuntimeException e) {
                log.warn("lost-partition recovery round failed, trying again: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
        // At once, not at the next round.
        membershipListener = cluster.addMembershipListener(new com.hazelcast.cluster.MembershipAdapter() {
            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                if (!keeper.hasMajority()) {
                    oweMarksRemoval();
                }
            }
        });
        return this;
    }

    /** The loss being recovered now (none when every partition counts). */
    Loss current() {
        return Loss.decode(protocol.get(KEY));
    }

    /** One round: notice new losses, replay what this member can, reopen the partitions once nothing is awaited. */
    synchronized void reconcile(String life) {
        // A side of a split without the majority cannot tell a lost partition from one whose replicas live on
        // the other side (which may still hold and later write those counts): it neither records nor replays.
        // Once the sides merge, a partition the bigger side lost is still unmarked (the marks merge as the
        // counters do) and is recovered then, with the majority (issue 18, two members cut off at once).
        if (!keeper.hasMajority()) {
            unmarkedLastRound = Set.of();
            if (!minoritySeen) {
                minoritySeen = true;
                oweMarksRemoval();
            }
            return;
        }
        minoritySeen = false;
        if (marksRemovalOwed) {
            // Seen without the majority and back since: the marks go first, whatever this round would read.
            removeMarksIfOwed();
            return;
        }
        // Unmarked in two readings a round apart: a reading taken while partitions move cannot start a replay.
        Set<Integer> unmarked = new TreeSet<>(unmarkedReading.get());
        Set<Integer> seenBefore = unmarkedLastRound;
        unmarkedLastRound = Set.copyOf(unmarked);
        unmarked.retainAll(seenBefore);
        Set<String> present = dataMembers();
        Loss loss = current();
        if (!loss.isEmpty() && !loss.gone(present).isEmpty()) {
            startOver(loss, present, life);
            return;
        }
        if (!loss.isEmpty() && !present.equals(loss.members()) && replace(loss, loss.withMembers(present))) {
            loss = loss.withMembers(present);
        }
        if (!unmarked.isEmpty() && !loss.partitions().containsAll(unmarked)) {
            Set<Integer> fresh = new TreeSet<>(unmarked);
            fresh.removeAll(loss.partitions());
            // Before the record, so before any replay loads identities into these partitions (issue 18, seed 4).
            dropLeftovers(fresh);
            Set<Integer> partitions = new TreeSet<>(loss.partitions());
            partitions.addAll(unmarked);
            Set<String> awaiting = new TreeSet<>(loss.awaiting());
            awaiting.addAll(registry.registeredIn(life));
            // On the cluster's clock, which every member reads alike: a member whose own clock ran 220 s ahead
            // once stamped a loss that held the others' replays back for as long (issue 18, seed 21).
            Loss grown = new Loss(partitions, awaiting, loss.isEmpty() ? cluster.getClusterTime() : loss.sinceMillis(), present,
                    loss.generation());
            if (!replace(loss, grown)) {
                return;
            }
            log.warn("partitions {} lost their owner and backup together (or were held by a side without the majority): they "
                    + "answer 503 recovering until these journals are replayed for them: {}", grown.partitions(), grown.awaiting());
            loss = grown;
        }
        // Nothing journaled in this life (its first members still marking): nothing to replay, nothing to wait for.
        if (loss.isEmpty() || (!loss.awaiting().isEmpty() && cluster.getClusterTime() < loss.sinceMillis() + GRACE_MILLIS)) {
            return;
        }
        // A partition of the record that is marked was never lost in it: the record was made from a reading
        // taken just before another member finished the previous loss and marked it (it counts again, and
        // its journals now hold live counts). Nobody marks a partition of a record before its replays are done.
        Set<Integer> marked = new TreeSet<>(loss.partitions());
        marked.removeAll(counters.unmarkedPartitions());
        if (!marked.isEmpty()) {
            Set<Integer> rest = new TreeSet<>(loss.partitions());
            rest.removeAll(marked);
            boolean dropped = rest.isEmpty() ? protocol.remove(KEY, loss.encode())
                    : replace(loss, new Loss(rest, loss.awaiting(), loss.sinceMillis(), loss.members(), loss.generation()));
            if (dropped) {
                log.info("partitions {} are marked: not lost, left out of the recovery", marked);
            }
            return;
        }
        Set<String> stillRegistered = registry.registeredIn(life);
        Loss replaying = loss;
        for (String id : loss.awaiting()) {
            if (!stillRegistered.contains(id)) {
                log.info("journal {} is no longer registered (given up, or everything in it written): not awaited", id);
                crossOff(id, null, replaying.generation());
            } else if (id.equals(journal.id())) {
                replay(id, journal.directory(), replaying);
            } else {
                Path dir = journal.root().resolve(id);
                if (Files.isDirectory(dir) && !MemberJournal.inUse(dir)) {
                    journal.whileHoldingRootLock(() -> {
                        if (Files.isDirectory(dir) && current().awaiting().contains(id)) {
                            replay(id, dir, replaying);
                        }
                    });
                }
            }
        }
        loss = current();
        // Not if a member holding the copies the replays filled left meanwhile: the next round starts over.
        if (!loss.isEmpty() && loss.awaiting().isEmpty() && loss.gone(dataMembers()).isEmpty()) {
            counters.mark(loss.partitions(), life);
            if (protocol.remove(KEY, loss.encode())) {
                log.info("partitions {} replayed from every journal that may hold them: they count again", loss.partitions());
            }
            lastLogged = null;
        } else if (!loss.isEmpty()) {
            String what = loss.awaiting().toString();
            if (!what.equals(lastLogged) || clock.millis() - lastLoggedAt > 30_000) {
                log.warn("lost partitions {} still await the replay of journals {}: start the AdGrid processes that own them "
                        + "(same journal directory); if a disk is lost for good, ./adgrid journal give-up <id>", loss.partitions(), what);
                lastLogged = what;
                lastLoggedAt = clock.millis();
            }
        }
    }

    /** See the class comment: a side without the majority keeps no mark. */
    private void oweMarksRemoval() {
        marksRemovalOwed = true;
        try {
            marksRemover.execute(this::removeMarksIfOwed);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // Closed: nothing of this member counts any more.
        }
    }

    /** Removes every mark this side holds if that is owed, retried each second until it succeeds. */
    private void removeMarksIfOwed() {
        synchronized (marksRemover) {
            if (!marksRemovalOwed) {
                return;
            }
            try {
                counters.removeAllMarks();
                marksRemovalOwed = false;
                log.warn("this member saw fewer voting data members than the majority: the other side may count on without it, so "
                        + "this side's partition marks are removed; with the majority, its partitions count once their journals are replayed");
            } catch (RuntimeException e) {
                log.warn("removing this side's partition marks failed, trying again in 1 s: {}", e.toString());
                try {
                    marksRemover.schedule(this::removeMarksIfOwed, 1, TimeUnit.SECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    // Closed meanwhile.
                }
            }
        }
    }

    /**
     * A member of the record left (killed, cut off, merged away): the copies it held, with the identities
     * replayed into them, may be gone, though no partition is newly unmarked. Drops what is left and waits
     * again for every directory registered in this life, those already crossed off included (issue 18,
     * seed 23).
     */
    private void startOver(Loss loss, Set<String> present, String life) {
        dropLeftovers(loss.partitions());
        Set<String> awaiting = new TreeSet<>(loss.awaiting());
        awaiting.addAll(registry.registeredIn(life));
        Loss again = new Loss(loss.partitions(), awaiting, loss.sinceMillis(), present, loss.generation() + 1);
        if (replace(loss, again)) {
            log.warn("members {} that held copies of lost partitions {} left before the recovery ended: it starts over and awaits "
                    + "the replay of journals {}", loss.gone(present), loss.partitions(), awaiting);
        }
    }

    /** The data members of the cluster as this member sees it (gateways hold no copy). */
    private Set<String> dataMembers() {
        return cluster.getMembers().stream().filter(m -> !m.isLiteMember()).map(m -> m.getUuid().toString())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * Removes every counter entry still found in partitions just recorded lost: a member may hold an
     * old copy of an entry there (seen after two members were cut off and others killed meanwhile),
     * whose counts the line that went on has written; counting on it would reuse epoch and sequence
     * numbers PostgreSQL's watermark already holds, and the write-behind would skip those batches as
     * written. The journals hold the partition's history; the replay restores its identities.
     */
    private void dropLeftovers(Set<Integer> partitions) {
        int dropped = 0;
        for (int p : partitions) {
            dropped += counters.dropUnmarked(p);
        }
        if (dropped > 0) {
            log.warn("dropped {} counter entries left in partitions {} as they were found lost: an older copy; the journals "
                    + "replayed for them hold their history", dropped, partitions);
        }
    }

    private void replay(String id, Path dir, Loss loss) {
        Set<Integer> partitions = loss.partitions();
        long began = System.nanoTime();
        JournalKeeper.Recovery r = keeper.replay(UUID.fromString(id), dir,
                slice -> partitions.contains(counters.partitionOf(slice.routeKey())));
        log.info("replayed journal {} for lost partitions {} in {} ms: {} slices, {} added to PostgreSQL ({} events), {} already "
                        + "there; {} identities remembered", dir, partitions, (System.nanoTime() - began) / 1_000_000, r.slices(),
                r.slicesAddedToPostgres(), r.eventsCounted(), r.slicesAlreadyThere(), r.identitiesRemembered());
        crossOff(id, partitions, loss.generation());
    }

    /**
     * Removes a directory from the loss's awaited ones (a compare-and-set, retried while others change
     * the loss), unless the recovery started over since ({@code generation}) or {@code replayedFor} is
     * given and partitions were lost since: the next round replays it again.
     */
    private void crossOff(String id, Set<Integer> replayedFor, long generation) {
        for (int attempt = 0; attempt < 100; attempt++) {
            Loss loss = current();
            if (!loss.awaiting().contains(id) || loss.generation() != generation
                    || (replayedFor != null && !replayedFor.containsAll(loss.partitions()))) {
                return;
            }
            if (replace(loss, loss.without(id))) {
                return;
            }
        }
        throw new IllegalStateException("cannot update the lost-partition record: it keeps changing");
    }

    private boolean replace(Loss old, Loss next) {
        if (old.isEmpty()) {
            return protocol.putIfAbsent(KEY, next.encode()) == null;
        }
        return protocol.replace(KEY, old.encode(), next.encode());
    }

    @Override
    public void close() {
        marksRemover.shutdownNow();
        if (membershipListener != null) {
            try {
                cluster.removeMembershipListener(membershipListener);
            } catch (RuntimeException e) {
                log.debug("membership listener not removed: {}", e.toString());
            }
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
