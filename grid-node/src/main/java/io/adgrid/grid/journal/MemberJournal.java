package io.adgrid.grid.journal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import io.adgrid.event.EventType;
import io.adgrid.grid.port.GridEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process's journal of what it applied to the grid, as owner or backup: append-only files in
 * its own directory {@code <root>/<id>}, one per minute until which the records are needed (a
 * beacon's replay window; a sale's order retention, by the hour), so expiry deletes whole files.
 *
 * <p>Why files and not Chronicle Map: a journal is written once, read only after a crash, and
 * dropped by age; an append-only file has exactly that shape, needs no sizing, and costs one
 * {@code write} per grid operation. A {@code write} reaches the kernel's page cache before the
 * operation answers, so it survives the death of the process (not of the host: the backup on
 * another host covers that while the cluster lives).
 *
 * <p>The directory is created by {@link #open} once the process knows which life of the grid it
 * writes for (see {@code JournalKeeper}); until then {@link #ready} is false.
 *
 * <p>A full disk: a batch is applied in memory before it is journaled, so a write that fails then
 * cannot be undone (failing the call would leave the counts in the grid and answer the gateway's
 * re-send "duplicate"). The journal keeps a reserve file of {@link #RESERVE_BYTES} in its directory;
 * a write that finds the disk full cuts off what it wrote, frees the reserve and writes again, and
 * from then on the member refuses batches that count as their owner ({@link #refusalBeforeApply})
 * until it can make a new reserve. A write that fails even then (a batch larger than the reserve,
 * or a backup's write once the reserve is gone) is counted in {@link #unjournaledSlices} and
 * logged, not failed: the slice is in the grid, and the owner's journal holds it.
 */
public final class MemberJournal implements SliceJournal, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MemberJournal.class);

    static final String LIFE_FILE = "life";
    /**
     * Names the database a root and each of its directories belong to (issue 27): a process of
     * another database must neither delete nor replay them.
     */
    public static final String DATABASE_FILE = "database";
    /** Written by a graceful stop: every count was flushed; the files stay for their identities. */
    public static final String STOPPED_FILE = "stopped";
    /** Locked by the live process that writes the directory, so no other process deletes it. */
    private static final String LOCK_FILE = "lock";
    private static final String SUFFIX = ".log";
    /** Room kept on the journal's disk for the writes of batches already applied when it fills up. */
    static final String RESERVE_FILE = "reserve";
    /** Larger than the largest append (a gateway batch of 20,000 events to one partition is about 1 MB). */
    static final int RESERVE_BYTES = 4 << 20;
    /** How often a full journal tries to make its reserve again. */
    private static final long RESERVE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path root;
    private final String id = UUID.randomUUID().toString();
    private final int replayWindowMinutes;
    private volatile UUID life;
    private final Map<Long, FileChannel> files = new HashMap<>();
    /** Reused by every {@link #append}, which is synchronized; keeps the size of the largest append. */
    private final JournalCodec.RecordBuffer buffer = new JournalCodec.RecordBuffer();
    private volatile long bytesWritten;
    private FileChannel lockChannel;
    /** Set by {@link #stopAppending}: records are dropped, and batches that count refused, from then on. */
    private volatile boolean retired;
    /** Run once, before the first record is written: registers the directory (a never-written one is never waited for). */
    private Runnable beforeFirstRecord = () -> { };
    private volatile boolean holdsRecords;
    private volatile String database;
    private volatile String countingRefusal = "this member has not yet read whether journals of a dead grid life await replay";
    private volatile boolean countingStateKnown;
    /** The reserve is used up: batches that count are refused as owner until it is made again. */
    private volatile boolean full;
    private long reserveTriedAtNanos;
    private final AtomicLong unjournaled = new AtomicLong();
    private volatile boolean partitionMarksEnforced;

    /**
     * @param root                the journal directory shared by the processes of one host or volume
     * @param replayWindowMinutes how long a beacon's identity is kept for replay dedup (and so in the journal)
     */
    public MemberJournal(Path root, int replayWindowMinutes) {
        this.root = root;
        this.replayWindowMinutes = replayWindowMinutes;
    }

    public String id() {
        return id;
    }

    public Path root() {
        return root;
    }

    public Path directory() {
        return root.resolve(id);
    }

    public UUID life() {
        return life;
    }

    /** {@link #open(UUID, String, Runnable)} without a keeper (tests, tools): unbound, counting at once. */
    public void open(UUID gridLife) {
        open(gridLife, "unbound", () -> { });
        openCounting();
    }

    /**
     * Creates this process's directory, notes the grid life and the database it writes for, and
     * starts taking records; {@code beforeFirstRecord} runs (once) before the first is written.
     */
    public synchronized void open(UUID gridLife, String database, Runnable beforeFirstRecord) {
        this.database = database;
        this.beforeFirstRecord = beforeFirstRecord;
        try {
            Files.createDirectories(directory());
            lockChannel = FileChannel.open(directory().resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lockChannel.lock();
            Files.writeString(directory().resolve(LIFE_FILE), gridLife.toString());
            Files.writeString(directory().resolve(DATABASE_FILE), database);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the journal directory " + directory(), e);
        }
        full = !makeReserve();
        if (full) {
            log.warn("journal {}: no room for its {} MB reserve; batches that count are refused here until there is", directory(),
                    RESERVE_BYTES >> 20);
        }
        life = gridLife;
    }

    @Override
    public boolean ready() {
        return life != null;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    /** Whether the directory is registered: just before its first record, or before the first batch it owns is applied. */
    public boolean holdsRecords() {
        return holdsRecords;
    }

    @Override
    public String countingRefusal() {
        return countingRefusal;
    }

    /** Counting batches are taken from now on: no journal of a dead life awaits replay (never closes again in this life). */
    public void openCounting() {
        countingRefusal = null;
        countingStateKnown = true;
    }

    /** From now on a counting batch on a partition without its mark is refused (see {@code PartitionMarks}). */
    public void enforcePartitionMarks() {
        partitionMarksEnforced = true;
    }

    @Override
    public boolean partitionMarksEnforced() {
        return partitionMarksEnforced;
    }

    @Override
    public boolean countingStateKnown() {
        return countingStateKnown;
    }

    /** Still refusing counting batches, now for this reason (a journal of a dead life awaits replay). */
    public void refuseCounting(String why) {
        if (countingRefusal != null) {
            countingRefusal = why;
            countingStateKnown = true;
        }
    }

    /**
     * Registers the directory before its first record and checks there is room: what the owner's
     * batch will apply can then be journaled. A refusal changes nothing; once the reserve can be
     * made again (checked at most once a second), batches are taken again.
     */
    @Override
    public String refusalBeforeApply() {
        if (retired) {
            // Its records are dropped: a batch it took as owner would be acknowledged in no journal if its
            // backups had stopped journaling too (issue 18, seed 25: two members stopping at once).
            return "this member has stopped journaling (it is leaving the grid)";
        }
        if (!holdsRecords) {
            synchronized (this) {
                if (!holdsRecords) {
                    try {
                        beforeFirstRecord.run();
                    } catch (RuntimeException e) {
                        return "cannot register the journal " + directory() + ": " + e.getMessage();
                    }
                    holdsRecords = true;
                }
            }
        }
        if (full) {
            synchronized (this) {
                if (full && System.nanoTime() - reserveTriedAtNanos > RESERVE_RETRY_NANOS) {
                    reserveTriedAtNanos = System.nanoTime();
                    full = !makeReserve();
                    if (!full) {
                        log.info("journal {}: its disk has room again, batches that count are taken again", directory());
                    }
                }
            }
        }
        return full ? "the journal disk of this member is full (" + directory() + ")" : null;
    }

    /** Slices applied in the grid that this journal could not write (its disk full, its reserve used up). */
    public long unjournaledSlices() {
        return unjournaled.get();
    }

    /** Whether the journal's disk was found full and the reserve not made again yet. */
    public boolean full() {
        return full;
    }

    /**
     * Writes the slices before the operation answers. Never throws for the disk: the slices are
     * already applied (see the class comment); a write that cannot be made is counted and logged.
     */
    @Override
    public synchronized void append(List<AppliedSlice> slices) {
        if (life == null) {
            throw new IllegalStateException("journal not open");
        }
        if (retired) {
            return;
        }
        if (!holdsRecords) {
            try {
                beforeFirstRecord.run();
            } catch (RuntimeException e) {
                // A backup's first record (the owner registers before it applies): the owner's journal holds these.
                unjournaled.addAndGet(slices.size());
                log.warn("journal {} not registered, {} slices not journaled here: {}", directory(), slices.size(), e.getMessage());
                return;
            }
            holdsRecords = true;
        }
        List<Record> records = new ArrayList<>(slices.size());
        for (AppliedSlice s : slices) {
            splitByKeep(s, records);
        }
        records.sort(Comparator.comparingLong(Record::keepUntilMinute));
        for (int i = 0; i < records.size(); ) {
            long keep = records.get(i).keepUntilMinute();
            buffer.reset();
            int from = i;
            for (; i < records.size() && records.get(i).keepUntilMinute() == keep; i++) {
                buffer.add(records.get(i).slice(), records.get(i).events());
            }
            if (!write(keep) && !(useReserve() && write(keep))) {
                unjournaled.addAndGet(i - from);
                log.error("journal {}: disk full, {} records applied in the grid are not journaled here", directory(), i - from);
            }
        }
    }

    /** Writes the buffer to the file of {@code keep}; on failure cuts the file back to where it was (no torn record before later ones). */
    private boolean write(long keep) {
        FileChannel channel = null;
        long size = -1;
        try {
            channel = channel(keep);
            size = channel.size();
            bytesWritten += buffer.writeTo(channel);
            return true;
        } catch (IOException e) {
            if (channel != null && size >= 0) {
                try {
                    channel.truncate(size);
                } catch (IOException ignored) {
                    // the reader stops at a torn record; nothing better to do on a failing disk
                }
            }
            return false;
        }
    }

    /** The disk is full: gives up the reserve for the write at hand, and refuses new batches until it is made again. */
    private boolean useReserve() {
        full = true;
        reserveTriedAtNanos = System.nanoTime();
        try {
            boolean freed = Files.deleteIfExists(directory().resolve(RESERVE_FILE));
            if (freed) {
                log.warn("journal {}: disk full, reserve used; batches that count are refused here until it has room again", directory());
            }
            return freed;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes the reserve file (zeros, so the blocks are really taken); false when the disk has no room for it. */
    private boolean makeReserve() {
        Path reserve = directory().resolve(RESERVE_FILE);
        if (Files.exists(reserve)) {
            return true;
        }
        Path tmp = directory().resolve(RESERVE_FILE + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(1 << 16);
            for (long left = RESERVE_BYTES; left > 0; left -= zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    channel.write(zeros);
                }
            }
        } catch (IOException e) {
            deleteQuietly(tmp);
            return false;
        }
        try {
            Files.move(tmp, reserve, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            deleteQuietly(tmp);
            return false;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover temporary file; the directory's deletion removes it
        }
    }

    /** A slice's events by the file they belong in: one record, unless the slice spans minutes or holds a sale. */
    private void splitByKeep(AppliedSlice s, List<Record> records) {
        List<GridEvent> events = s.events();
        if (events.isEmpty()) {
            return;
        }
        long first = keepUntilMinute(events.get(0), s.orderExpiresMinute());
        boolean oneFile = true;
        for (int i = 1; i < events.size() && oneFile; i++) {
            oneFile = keepUntilMinute(events.get(i), s.orderExpiresMinute()) == first;
        }
        if (oneFile) {
            records.add(new Record(first, s, events));
            return;
        }
        Map<Long, List<GridEvent>> byKeep = new HashMap<>(4);
        for (GridEvent e : events) {
            byKeep.computeIfAbsent(keepUntilMinute(e, s.orderExpiresMinute()), k -> new ArrayList<>()).add(e);
        }
        byKeep.forEach((keep, part) -> records.add(new Record(keep, s, part)));
    }

    private record Record(long keepUntilMinute, AppliedSlice slice, List<GridEvent> events) {
    }

    /** Until when (epoch minute) a journaled event is needed: while its identity may still be replayed. */
    long keepUntilMinute(GridEvent e, long orderExpiresMinute) {
        if (e.type() == EventType.SALE) {
            return Math.floorDiv(orderExpiresMinute + 59, 60) * 60;
        }
        return e.minute() + replayWindowMinutes + 1;
    }

    private FileChannel channel(long keepMinute) throws IOException {
        FileChannel channel = files.get(keepMinute);
        if (channel == null) {
            channel = FileChannel.open(directory().resolve(keepMinute + SUFFIX),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            files.put(keepMinute, channel);
        }
        return channel;
    }

    /** Closes this process's files needed only until before {@code minute} (nothing is added to them any more). */
    public synchronized void closeFilesBefore(long minute) {
        Iterator<Map.Entry<Long, FileChannel>> it = files.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, FileChannel> e = it.next();
            if (e.getKey() < minute) {
                closeQuietly(e.getValue());
                it.remove();
            }
        }
    }

    /** The journal directories of other processes (earlier lives of this one, or others sharing the root). */
    public List<Path> otherDirectories() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().equals(id)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a live process (this one included) still writes the journal directory. */
    public static boolean inUse(Path dir) {
        Path lock = dir.resolve(LOCK_FILE);
        if (!Files.exists(lock)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock held = channel.tryLock();
            if (held == null) {
                return true;
            }
            held.release();
            return false;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs {@code work} while holding the journal root's recovery lock, so that two processes
     * starting on one root do not replay the same directory at once.
     */
    public void whileHoldingRootLock(Runnable work) {
        try {
            Files.createDirectories(root);
            try (FileChannel channel = FileChannel.open(root.resolve(".recovery.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 java.nio.channels.FileLock ignored = lockRoot(channel)) {
                work.run();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock the journal root " + root, e);
        }
    }

    private static java.nio.channels.FileLock lockRoot(FileChannel channel) throws IOException {
        // Within one JVM (tests with several members) the lock is the JVM's: wait for the other holder.
        while (true) {
            try {
                return channel.lock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for the journal root lock", interrupted);
                }
            }
        }
    }

    /** The database a journal root or directory belongs to, if it says. */
    public static Optional<String> databaseOf(Path dir) {
        try {
            Path file = dir.resolve(DATABASE_FILE);
            return Files.exists(file) ? Optional.of(Files.readString(file).trim()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Binds the journal root to {@code database}: the first process writes the marker, later ones
     * must match it. Returns the root's database (the given one, or another one's: the caller refuses).
     */
    public static String bindRoot(Path root, String database) {
        try {
            Files.createDirectories(root);
            Path marker = root.resolve(DATABASE_FILE);
            if (!Files.exists(marker)) {
                Path tmp = root.resolve(DATABASE_FILE + "." + UUID.randomUUID() + ".tmp");
                Files.writeString(tmp, database);
                try {
                    Files.move(tmp, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.deleteIfExists(tmp);
                }
                // A concurrent first process may have won the move: the marker's content decides.
                Files.deleteIfExists(tmp);
            }
            return Files.readString(marker).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the journal root's database marker in " + root, e);
        }
    }

    /** Marks this process's directory as stopped gracefully (its counts flushed; kept for its identities). */
    public void markStopped() {
        try {
            Files.writeString(directory().resolve(STOPPED_FILE), java.time.Instant.now().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mark the journal " + directory() + " stopped", e);
        }
    }

    /** Whether a directory was left by a graceful stop. */
    public static boolean stoppedGracefully(Path dir) {
        return Files.exists(dir.resolve(STOPPED_FILE));
    }

    /** The grid life a journal directory was written for, if it got that far. */
    public static Optional<UUID> lifeOf(Path dir) {
        try {
            Path file = dir.resolve(LIFE_FILE);
            return Files.exists(file) ? Optional.of(UUID.fromString(Files.readString(file).trim())) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The record files of a journal directory, oldest expiry first. */
    public static List<Path> files(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(f -> f.getFileName().toString().endsWith(SUFFIX))
                    .sorted(Comparator.comparingLong(MemberJournal::keepUntilMinuteOf)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Until when (epoch minute) the records of a file are needed. */
    public static long keepUntilMinuteOf(Path file) {
        String name = file.getFileName().toString();
        return Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
    }

    /** Every complete record of a file (a torn last record, from a process killed while writing, is left out). */
    public static List<AppliedSlice> read(Path file) {
        List<AppliedSlice> all = new ArrayList<>();
        read(file, Integer.MAX_VALUE, all::addAll);
        return all;
    }

    /** Like {@link #read(Path)}, {@code chunkSize} records at a time: a file may hold a minute of traffic. */
    public static void read(Path file, int chunkSize, java.util.function.Consumer<List<AppliedSlice>> chunks) {
        try (InputStream in = Files.newInputStream(file)) {
            JournalCodec.readChunks(in, chunkSize, chunks);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the journal file " + file, e);
        }
    }

    /**
     * Test-only: a directory where each journal directory is copied before it is deleted, so that a
     * fault run's anomalies can be traced to the slices that were replayed (the fault runner sets it).
     */
    static final String KEEP_DELETED_PROPERTY = "adgrid.test.keep-deleted-journals";

    /** Removes a journal directory and everything in it. */
    public static void deleteDirectory(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        String keepIn = System.getProperty(KEEP_DELETED_PROPERTY);
        if (keepIn != null) {
            copyTree(dir, Path.of(keepIn).resolve(dir.getFileName() + "-" + System.currentTimeMillis()));
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the journal directory " + dir, e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            log.warn("could not keep a copy of the journal directory {} before deleting it: {}", from, e.toString());
        }
    }

    /**
     * Closes the files and frees the directory for a replay by another process. The journal stays
     * ready: a grid operation that still arrives (Hazelcast shuts down after this) reopens its file,
     * rather than being refused and retried for as long as the member takes to leave.
     */
    @Override
    public synchronized void close() {
        files.values().forEach(MemberJournal::closeQuietly);
        files.clear();
        // A kept directory (a graceful stop keeps it for its identities) needs no room to write.
        deleteQuietly(directory().resolve(RESERVE_FILE));
        if (lockChannel != null) {
            closeQuietly(lockChannel);
            lockChannel = null;
        }
    }

    /**
     * From now on records are dropped and batches that count are refused (a member that has left the
     * grid gracefully, so holds no copy any more): what this journal holds can then be checked against
     * PostgreSQL and deleted.
     */
    public synchronized void stopAppending() {
        retired = true;
        files.values().forEach(MemberJournal::closeQuietly);
        files.clear();
        deleteQuietly(directory().resolve(RESERVE_FILE));
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing a file we only appended to: nothing to recover
        }
    }
}
