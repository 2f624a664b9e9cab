package io.adgrid.persister.journal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.Watermark;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.member.GridMember;
import io.adgrid.persister.journal.JournalKeeper.Recovery;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.Watermarks;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays journal directories: the counts PostgreSQL lacks go into the counter tables, each slice
 * once however many journals hold it ({@code journal_recovered_slice}, in the same transaction), and
 * the identities still inside their window go into the grid without being counted. Three callers:
 * the keeper at start for a dead life's directories ({@link #recoverIfDead}), the lost-partition
 * recovery for the slices of lost partitions ({@link #replay(UUID, Path, Predicate)}) and the
 * lost-writes repair for what a failover lost ({@link #replayLostWrites}). Every replay can be repeated.
 */
final class JournalReplay {

    private static final Logger log = LoggerFactory.getLogger(JournalReplay.class);
    /** Events per grid call when the identities of a dead life are loaded into the new one. */
    private static final int EVENTS_PER_CALL = 5_000;
    /** Slices per PostgreSQL transaction of a recovery. */
    private static final int SLICES_PER_TRANSACTION = 2_000;
    /** Journal records read at once by a replay (a sweep and a retirement read as many). */
    static final int RECORDS_PER_CHUNK = 20_000;
    /**
     * How long an identities-only batch is sent again: while members join and leave, a call's
     * backups may go unacknowledged for a minute or more (fault runner, seed 3: five attempts in 10 s
     * failed the start of two members, and the grid waited for their journals). Giving up only
     * starts the whole replay again after a restart.
     */
    private static final Duration IDENTITY_LOAD_PATIENCE = Duration.ofMinutes(5);

    private final JournalRegistry registry;
    private final HazelcastInstance grid;
    private final DataSource dataSource;
    private final CounterWriter counterWriter;
    private final Clock clock;

    JournalReplay(JournalRegistry registry, HazelcastInstance grid, DataSource dataSource, Clock clock) {
        this.registry = registry;
        this.grid = grid;
        this.dataSource = dataSource;
        this.counterWriter = new CounterWriter(dataSource);
        this.clock = clock;
    }

    /**
     * Looks at another directory on this member's journal root (held under the root's lock): an
     * unregistered one is deleted (it never held a record, or was replayed already), one registered
     * with another life than {@code life} is replayed whole, unregistered and deleted. One in use by a
     * live process, or another database's, is left alone. Returns the replay, if there was one.
     */
    Optional<Recovery> recoverIfDead(Path dir, UUID life, String database) {
        Optional<UUID> id = JournalRegistry.directoryId(dir);
        if (id.isEmpty() || MemberJournal.inUse(dir)) {
            return Optional.empty();
        }
        Optional<String> owner = MemberJournal.databaseOf(dir);
        if (owner.isPresent() && !owner.get().equals(database)) {
            log.warn("journal {} belongs to another database ({}): left alone", dir, owner.get());
            return Optional.empty();
        }
        Optional<UUID> registered = registry.registeredLife(id.get());
        if (registered.isEmpty()) {
            if (owner.isEmpty() && !MemberJournal.files(dir).isEmpty()) {
                // Written before directories named their database: it may be another database's.
                log.warn("journal {} names no database and is not registered in this one: left alone (delete it by hand "
                        + "if no other database's AdGrid uses this journal root)", dir);
                return Optional.empty();
            }
            // Never held a record (its process failed before journaling anything) or already replayed.
            log.info("journal {} is not registered: nothing in it is needed, deleting it", dir);
            MemberJournal.deleteDirectory(dir);
            return Optional.empty();
        }
        if (registered.get().equals(life)) {
            return Optional.empty();
        }
        boolean stopped = MemberJournal.stoppedGracefully(dir);
        long began = System.nanoTime();
        Recovery r = replay(id.get(), dir, slice -> true, this::notInPostgres, Identities.JOURNALED_AGAIN);
        registry.unregister(id.get());
        MemberJournal.deleteDirectory(dir);
        log.info("replayed journal {} of {} grid life {} in {} ms: {} slices, {} added to PostgreSQL ({} events), {} already there; "
                + "{} identities remembered by the new grid", dir, stopped ? "the gracefully stopped" : "the dead",
                registered.get(), (System.nanoTime() - began) / 1_000_000, r.slices(), r.slicesAddedToPostgres(),
                r.eventsCounted(), r.slicesAlreadyThere(), r.identitiesRemembered());
        return Optional.of(r);
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

    /**
     * Adds, from one directory of this life, the counts of the {@code acknowledged} epochs'
     * slices that {@code acknowledged} holds and {@code held} (PostgreSQL now) does not, each journal
     * record once ({@link #lostWritesKey}); identities are left alone, as their entries live on.
     */
    Recovery replayLostWrites(UUID id, Path dir, Map<UUID, Watermark> acknowledged, Map<UUID, Watermark> held) {
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
        return replay(id, dir, slice -> acknowledged.containsKey(slice.epoch()), lost, Identities.NONE);
    }

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

    /** What a replay does with the identities it reads. */
    private enum Identities {
        /** Not loaded: the entries they belong to live on (lost writes). */
        NONE,
        /** Loaded and journaled by the members that take them: their directory is deleted once replayed (a dead life's). */
        JOURNALED_AGAIN,
        /** Loaded, not journaled again: their directory stays registered until they leave their window (this life's). */
        LOADED
    }

    /** One slice as read from a journal file, with the minute the file is kept until. */
    private record FileSlice(long keepMinute, AppliedSlice slice) {
    }

    /** Picks, from a chunk of journaled slices that count, the counts PostgreSQL lacks and the key each is recorded under. */
    private interface Lacking {
        List<MissingSlice> of(List<FileSlice> counted);
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

    /** What PostgreSQL does not hold by the epochs' watermarks (the grid that counted them is gone, or lost these partitions). */
    private List<MissingSlice> notInPostgres(List<FileSlice> counted) {
        Map<UUID, Watermark> watermarks = Watermarks.read(dataSource, counted.stream().map(s -> s.slice().epoch()).toList());
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
}
