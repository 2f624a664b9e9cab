package io.adgrid.grid.counters;

import io.adgrid.grid.port.ReplayWindow;
import com.hazelcast.map.EntryProcessor;

/**
 * A processor that needs the time and the ts window of the member that owns the partition. The
 * owner stamps a copy before running it (see {@link BackedUpEntryOperation}); the backup gets that
 * copy, so both reach the same state whatever the caller's clock.
 */
public interface OwnerStamped {

    EntryProcessor<?, ?, ?> stamped(long ownerNowMillis, ReplayWindow window);
}
