package io.adgrid.persister.journal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import io.adgrid.grid.port.CounterGrid;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.SettingWrites;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which life of the grid a data member belongs to. A <em>life</em> lasts as long as one member holds
 * the grid's data: the first data member of a cluster that holds nothing names a new one
 * ({@link RecoveryGate#LIFE}), once it sees a majority of data members, so a member that only failed
 * to reach the grid waits. Joining records the life in PostgreSQL and ends every other one there.
 */
final class GridLife {

    private static final Logger log = LoggerFactory.getLogger(GridLife.class);
    /** How long joining the grid life keeps trying a write whose outcome is unknown (a busy box at start). */
    private static final Duration SETTING_PATIENCE = Duration.ofMinutes(2);

    /** The life joined, and whether this member named it (no member held data). */
    record Joined(UUID life, boolean named) {
    }

    private final HazelcastInstance grid;
    private final IMap<String, String> protocol;
    private final JournalRegistry registry;
    private final DataMembersAtLeast quorum;

    GridLife(HazelcastInstance grid, JournalRegistry registry, DataMembersAtLeast quorum) {
        this.grid = grid;
        this.protocol = grid.getMap(RecoveryGate.MAP);
        this.registry = registry;
        this.quorum = quorum;
    }

    /** Joins the grid's life, or names a new one, and ends every other life in PostgreSQL. */
    Joined join(Path journalDirectory) {
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
        UUID life = UUID.fromString(existing == null ? proposed : existing);
        boolean named = life.equals(current);
        boolean kept = held.isPresent() && (existing == null || existing.equals(proposed));
        log.info("grid life {} ({}); journal {}", life, named ? "new: no member held data"
                : kept ? "kept: the grid holds its counts, its life entry was lost" : "joined", journalDirectory);
        registry.endOtherLives(life);
        return new Joined(life, named);
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
            if (registry.endedBy(held) == null) {
                return Optional.of(held);
            }
        }
        int dropped = counters.dropAll();
        lives.forEach(counters::removeMarks);
        log.warn("dropped {} counter entries and the partition marks of grid life(s) {} (ended in PostgreSQL, or more than one): "
                + "their journals, replayed by the next life, hold their counts", dropped, lives);
        return Optional.empty();
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
    boolean mayJoin() {
        return hasMajority() && (!grid.getConfig().getSplitBrainProtectionConfigs().containsKey(GridMember.MAJORITY)
                || grid.getSplitBrainProtectionService().getSplitBrainProtection(GridMember.MAJORITY).hasMinimumSize());
    }

    /** The voting data members this member sees. */
    long dataMembersSeen() {
        return quorum.voters(grid.getCluster().getMembers());
    }

    /** The majority it needs. */
    int minimum() {
        return quorum.minimum();
    }
}
