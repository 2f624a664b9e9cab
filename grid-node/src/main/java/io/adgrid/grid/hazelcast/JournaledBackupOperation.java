package io.adgrid.grid.hazelcast;

import java.util.Set;
import io.adgrid.grid.journal.SliceJournal;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.impl.operation.MultipleEntryBackupOperation;

/** The backup side of {@link BackedUpEntryOperation}: applies the processor, then journals what it applied. */
public final class JournaledBackupOperation extends MultipleEntryBackupOperation {

    public JournaledBackupOperation() {
    }

    JournaledBackupOperation(String mapName, Set<Data> keys, EntryProcessor<?, ?, ?> backupProcessor) {
        super(mapName, keys, backupProcessor);
    }

    @Override
    protected void runInternal() {
        // A backup cannot be refused and retried like the owner's call: while the journal is not
        // ready (the first moment after joining), the backup applies unjournaled; the owner's
        // journal holds the slice.
        SliceJournal journal = BackedUpEntryOperation.journal(this);
        if (journal != null && !journal.ready()) {
            super.runInternal();
            return;
        }
        BackedUpEntryOperation.journaled(this, super::runInternal);
    }

    @Override
    public int getFactoryId() {
        return GridOperations.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridOperations.JOURNALED_BACKUP_OPERATION;
    }
}
