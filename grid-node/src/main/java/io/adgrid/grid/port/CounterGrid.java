package io.adgrid.grid.port;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import io.adgrid.grid.reach.ReachSketch;

/**
 * The grid of counters as the modules above grid-node use it: the gateway applies batches, the
 * write-behind seals, writes and acknowledges them, journal recovery drops entries, remembers
 * identities and keeps the partition marks, and reports read what is still in memory. Entries are
 * addressed by route key ({@link GridEvent#routeKey}, {@link RouteKeys}); a route key lives in one
 * partition ({@link #partitionOf}), and every call on a partition runs on its owner's partition thread,
 * answered once its backups have applied it too.
 *
 * <p>Its implementation (Hazelcast, in {@code io.adgrid.grid.hazelcast}) works in a grid member
 * (data or lite), never in a Hazelcast client. Failures the grid refused before applying anything
 * carry a {@link GridRefusal} in their cause chain.
 */
public interface CounterGrid {

    // Placement.

    /** The partition that holds the entry of {@code routeKey}. */
    int partitionOf(long routeKey);

    /** The route keys of the entries this member owns. */
    Set<Long> ownKeys();

    /** The route keys of every entry in the grid. */
    Set<Long> allKeys();

    // The gateway.

    /**
     * Applies one batch of events, grouped by partition and then by route key, in one call per
     * partition: counted unless a duplicate of an identity the entry remembers, too old for the
     * owner's replay window, or past a revenue bound. The same {@code batch} sent again (a retry of
     * failed partitions) is recognised: its events are answered as counted by it, not as duplicates.
     *
     * @return per partition, the answer of each entry ({@link Verdicts}), or the call's failure
     */
    Map<Integer, CompletableFuture<Map<Long, long[]>>> apply(BatchId batch, long orderExpiresMinute,
                                                             Map<Integer, Map<Long, List<GridEvent>>> eventsByPartition);

    // The write-behind.

    /**
     * Seals the pending counts of these entries (the minutes before {@code sealBeforeMinute}) and
     * forgets identities past the replay window; an entry whose batch is not acknowledged yet answers
     * that batch again, unchanged. The owner uses its own clock and window instead of the caller's.
     *
     * @return the sealed batches, by route key (entries holding nothing are left out)
     */
    Map<Long, SealedBatch> seal(Collection<Long> keys, long nowMinute, int replayWindowMinutes, long sealBeforeMinute);

    /** Drops each entry's sealed batch {@code seq} once PostgreSQL holds it (an older or newer seq is left alone). */
    void acknowledge(Map<Long, Long> seqByKey);

    /** What these entries hold that PostgreSQL does not, by route key. */
    Map<Long, Backlog> backlog(Collection<Long> keys);

    /** The epochs of every entry: the write-behind watermarks still in use. */
    Collection<UUID> epochs();

    /** What the entries this member owns know PostgreSQL holds, by epoch (as PostgreSQL acknowledged it). */
    Map<UUID, Watermark> acknowledgedWatermarks();

    // Journal recovery.

    /**
     * Makes the grid remember these events' identities (and sales' orders) without counting them: a
     * replay of a dead grid life's journals.
     *
     * @param journalAgain whether the members journal what they load (false while the journals it
     *                     comes from are kept)
     * @return how many of the events the grid already remembered
     */
    CompletableFuture<Long> remember(BatchId batch, long orderExpiresMinute, Map<Long, List<GridEvent>> eventsByKey,
                                     boolean journalAgain);

    /** Drops every entry in the grid; returns how many. */
    int dropAll();

    /** Drops the entries of {@code partition} unless the partition has its mark; returns how many. */
    int dropUnmarked(int partition);

    /** The partitions without their mark: lost with every replica since they were marked. */
    Set<Integer> unmarkedPartitions();

    /** The grid lives that set the marks still in the grid (empty when no partition is marked). */
    Set<String> markLives();

    /** Marks every partition for grid life {@code life} (the first member of a new life). */
    void markAll(String life);

    /** Marks the given partitions for grid life {@code life}: they count again. */
    void mark(Collection<Integer> partitions, String life);

    /** Removes the marks set by {@code life}. */
    void removeMarks(String life);

    /** Removes every mark this side of the grid holds. */
    void removeAllMarks();

    // Reports.

    /** The not-yet-persisted counts {@code filter} selects, one snapshot per entry that holds any. */
    List<MemorySnapshot> snapshot(CounterFilter filter);

    /** The unpersisted counts of these campaigns in [fromMinute, toMinute), summed per campaign and minute by each entry. */
    List<MemorySnapshot> campaignSums(Collection<Long> campaigns, long fromMinute, long toMinute);

    /**
     * The reach sketches the grid holds that PostgreSQL may not, for a campaign or a banner (0: any),
     * by UTC day in [fromDay, toDay].
     */
    List<ReachSketch> reach(long campaign, long banner, long fromDay, long toDay);
}
