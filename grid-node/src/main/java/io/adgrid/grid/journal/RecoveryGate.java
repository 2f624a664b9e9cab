package io.adgrid.grid.journal;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * Whether gateways may count: closed while journals of an earlier, dead life of the grid are not
 * yet replayed (a beacon retried now would otherwise be counted here and again by the replay).
 * The data members publish the state in the grid ({@code JournalKeeper}); a gateway reads it
 * every 200 ms and is open only while its last reading, under {@link #FRESH_MILLIS} old, said
 * "nothing awaited": when no data member answers it fails closed (issue 17.2). The members refuse
 * counting batches themselves too, so this gate only spares them the calls and names the reason.
 */
public final class RecoveryGate implements AutoCloseable {

    /** The small grid map of the journal protocol. */
    public static final String MAP = "adgrid-journal";
    /** Key of the current grid life (a UUID string), set by the first data member of the life. */
    public static final String LIFE = "life";
    /** Key of the journals still to replay: empty when none, else their descriptions. */
    public static final String AWAITING = "awaiting";
    /** How old the last reading may be for the gate to stay open. */
    static final long FRESH_MILLIS = 3_000;

    private final IMap<String, String> map;
    private final ScheduledExecutorService refresher;
    private volatile String awaiting;
    private volatile long readAtNanos;

    public RecoveryGate(HazelcastInstance grid) {
        this.map = grid.getMap(MAP);
        refresh();
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "adgrid-recovery-gate");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refresh, 200, 200, TimeUnit.MILLISECONDS);
    }

    public boolean open() {
        return "".equals(awaiting) && fresh();
    }

    /** Why the gate is closed, or null when it is open. */
    public String closedBecause() {
        if (!fresh()) {
            return "recovery state unknown: no data member answered in the last " + FRESH_MILLIS / 1000 + " s";
        }
        String value = awaiting;
        if (value == null) {
            return "recovery state not yet published: no data member has read it from PostgreSQL";
        }
        return value.isEmpty() ? null : "journals of a dead grid life await replay: " + value;
    }

    private boolean fresh() {
        return readAtNanos != 0 && System.nanoTime() - readAtNanos < TimeUnit.MILLISECONDS.toNanos(FRESH_MILLIS);
    }

    private void refresh() {
        try {
            awaiting = map.get(AWAITING);
            readAtNanos = System.nanoTime();
        } catch (RuntimeException e) {
            // No data member reachable: the reading ages and the gate closes (fails closed).
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
