package io.adgrid.persister.journal;

import java.time.Clock;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.journal.MemberJournal;
import io.adgrid.grid.journal.RecoveryGate;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data member's side of the recovery gate: publishes in the grid ({@link RecoveryGate#AWAITING})
 * which journals of earlier lives are still registered, and opens or closes its own journal for
 * counting batches accordingly. Gateways read the same entry ({@code RecoveryGate}) and answer 503
 * while it is not empty.
 */
final class JournalGate {

    private static final Logger log = LoggerFactory.getLogger(JournalGate.class);
    /** How often the same list of awaited journals is said again while it does not change. */
    static final long REPEAT_WARNING_MILLIS = 30_000;

    private final JournalRegistry registry;
    private final MemberJournal journal;
    private final IMap<String, String> protocol;
    private final Clock clock;
    private final Runnable restartNeeded;
    private volatile UUID life;
    private volatile String lastAwaiting;
    private volatile int awaitingCount;
    private long lastAwaitingLog;
    private volatile boolean lifeEnded;
    private UUID listener;

    JournalGate(JournalRegistry registry, MemberJournal journal, IMap<String, String> protocol, Clock clock, Runnable restartNeeded) {
        this.registry = registry;
        this.journal = journal;
        this.protocol = protocol;
        this.clock = clock;
        this.restartNeeded = restartNeeded;
    }

    /** From now on publishes for {@code life}, and opens this member as soon as another member finds nothing awaited. */
    void open(UUID life) {
        this.life = life;
        // Another member's keeper that found nothing awaited opens this member too, at once
        // rather than at this keeper's next reading of PostgreSQL.
        listener = protocol.addEntryListener((com.hazelcast.map.listener.EntryUpdatedListener<String, String>) e -> {
            if ("".equals(e.getValue()) && !lifeEnded) {
                journal.openCounting();
            }
        }, RecoveryGate.AWAITING, true);
    }

    /**
     * Publishes whether journals of earlier lives are still registered (the gate of every gateway),
     * and says which, every 30 s while they are.
     */
    void publish() {
        if (lifeEnded || endedLife()) {
            return;
        }
        List<String> awaiting = registry.describeAwaitedBy(life);
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
        if (!value.isEmpty() && (!value.equals(lastAwaiting) || now - lastAwaitingLog > REPEAT_WARNING_MILLIS)) {
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
     * and would close the living grid's gate), and the keeper's restart action runs.
     */
    private boolean endedLife() {
        String endedBy = registry.endedBy(life);
        if (endedBy == null) {
            return false;
        }
        lifeEnded = true;
        journal.refuseCounting("this member's grid life " + life + " was ended by " + endedBy + ": it must be started again");
        log.error("this member's grid life {} was ended by grid life {}: this member was cut off from the grid while the other side "
                + "went on without it, and replays its journals. It writes and counts nothing more; started again, its journal "
                + "{} is replayed into the living grid", life, endedBy, journal.directory());
        restartNeeded.run();
        return true;
    }

    /** The journals of dead lives awaited now (0 when counting is open). */
    int awaitingCount() {
        return awaitingCount;
    }

    /** Their description, empty when none. */
    String awaiting() {
        return lastAwaiting == null ? "" : lastAwaiting;
    }

    void close() {
        if (listener != null) {
            try {
                protocol.removeEntryListener(listener);
            } catch (RuntimeException e) {
                log.debug("gate listener not removed: {}", e.getMessage());
            }
        }
    }
}
