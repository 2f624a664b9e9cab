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
 * every 200 ms and is closed until it has read "nothing awaited".
 */
public final class RecoveryGate implements AutoCloseable {

    /** The small grid map of the journal protocol. */
    public static final String MAP = "adgrid-journal";
    /** Key of the current grid life (a UUID string), set by the first data member of the life. */
    public static final String LIFE = "life";
    /** Key of the journals still to replay: empty when none, else their descriptions. */
    public static final String AWAITING = "awaiting";

    private final IMap<String, String> map;
    private final ScheduledExecutorService refresher;
    private volatile boolean open;

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
        return open;
    }

    private void refresh() {
        try {
            open = "".equals(map.get(AWAITING));
        } catch (RuntimeException e) {
            // No data member reachable: nothing can be counted anyway; keep the last reading.
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
