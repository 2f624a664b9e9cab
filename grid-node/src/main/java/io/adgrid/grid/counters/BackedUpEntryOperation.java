package io.adgrid.grid.counters;

import java.util.Set;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.impl.operation.MultipleEntryOperation;

/**
 * Hazelcast's multi-key entry-processor operation, but answered only after the backup replicas
 * have applied it too.
 *
 * <p>Why: {@code MultipleEntryOperation} (behind {@code IMap.executeOnKeys}) declares all of its
 * backups asynchronous, so its caller is answered as soon as the owner has run the processor. A
 * gateway would then answer 2xx for counts that only one member holds, and the write-behind could
 * write a batch whose seal the backup never saw. Declaring the map's backups synchronous makes
 * the invocation wait for their acknowledgements; with
 * {@code hazelcast.operation.fail.on.indeterminate.state} set (see {@code GridMember}) a missing
 * acknowledgement fails the call instead of completing it without backups, and the caller retries.
 */
public final class BackedUpEntryOperation extends MultipleEntryOperation {

    public BackedUpEntryOperation() {
    }

    public BackedUpEntryOperation(String mapName, Set<Data> keys, EntryProcessor<?, ?, ?> processor) {
        super(mapName, keys, processor);
    }

    @Override
    public int getSyncBackupCount() {
        return mapContainer.getBackupCount();
    }

    @Override
    public int getAsyncBackupCount() {
        return mapContainer.getAsyncBackupCount();
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.BACKED_UP_ENTRY_OPERATION;
    }
}
