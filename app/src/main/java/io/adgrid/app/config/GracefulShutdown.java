package io.adgrid.app.config;

import java.time.Duration;
import io.adgrid.gateway.batching.GridBatcher;
import io.adgrid.gateway.beacon.BeaconService;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.persister.journal.JournalKeeper;
import io.adgrid.persister.writebehind.WriteBehind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Ctrl-C and SIGTERM: stop taking beacons, wait until every accepted one is in the grid, write
 * this member's entries to PostgreSQL, and only then let Hazelcast and PostgreSQL stop. (Hazelcast
 * itself does not wait for unwritten entries; its shutdown hook is off for that reason.)
 */
public class GracefulShutdown implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);

    private final ObjectProvider<GatewayServer> server;
    private final ObjectProvider<BeaconService> beacons;
    private final ObjectProvider<GridBatcher> batcher;
    private final ObjectProvider<WriteBehind> writeBehind;
    private final ObjectProvider<JournalKeeper> journal;
    private volatile boolean running;

    public GracefulShutdown(ObjectProvider<GatewayServer> server, ObjectProvider<BeaconService> beacons, ObjectProvider<GridBatcher> batcher,
                            ObjectProvider<WriteBehind> writeBehind, ObjectProvider<JournalKeeper> journal) {
        this.server = server;
        this.beacons = beacons;
        this.batcher = batcher;
        this.writeBehind = writeBehind;
        this.journal = journal;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        log.info("shutting down: no new beacons, flushing what was accepted");
        server.ifAvailable(GatewayServer::stopAccepting);
        // Open keep-alive connections still bring requests: 503 and close from now on, before the catalog and batcher close.
        beacons.ifAvailable(BeaconService::stopTaking);
        batcher.ifAvailable(GridBatcher::close);
        writeBehind.ifAvailable(w -> {
            try {
                WriteBehind.CycleResult r = w.flushOwnEntries();
                log.info("flushed {} batches ({} rows) to PostgreSQL", r.newBatches(), r.rows());
                // Written: the journal is kept for its identities (a next life restores them), noted as stopped.
                journal.ifAvailable(j -> j.retire(Duration.ofSeconds(10)));
            } catch (RuntimeException e) {
                log.error("final flush failed; unwritten counts stay in the grid's other members if any: {}", e.getMessage());
            }
        });
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the web server and every other lifecycle bean. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
