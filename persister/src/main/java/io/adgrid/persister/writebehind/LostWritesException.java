package io.adgrid.persister.writebehind;

import java.util.Map;
import java.util.UUID;
import io.adgrid.grid.port.Watermark;

/**
 * PostgreSQL's watermark of an epoch is behind what the grid acknowledged: it lost write-behind
 * commits (a failover to a standby that had not replayed them, issue 17.6). Nothing was written:
 * a batch written over the gap would advance the watermark past counts that exist only in journals.
 */
public final class LostWritesException extends IllegalStateException {

    private final transient Map<UUID, Watermark> acknowledged;

    public LostWritesException(Map<UUID, Watermark> acknowledged) {
        super("PostgreSQL lacks write-behind batches the grid acknowledged for " + acknowledged.size() + " entries "
                + "(a failover to a standby that had not replayed them?); written again from the journals first");
        this.acknowledged = Map.copyOf(acknowledged);
    }

    /** The epochs behind, with what the grid acknowledged of each. */
    public Map<UUID, Watermark> acknowledged() {
        return acknowledged;
    }
}
