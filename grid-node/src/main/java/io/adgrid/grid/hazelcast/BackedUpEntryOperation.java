package io.adgrid.grid.hazelcast;

import java.util.List;
import java.util.Set;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.counters.ApplyBatch;
import io.adgrid.grid.counters.CountingRefusedException;
import io.adgrid.grid.counters.FreezeFence;
import io.adgrid.grid.counters.JournalUnavailableException;
import io.adgrid.grid.counters.OwnerStamped;
import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.counters.SealPending;
import io.adgrid.grid.journal.SliceJournal;
import io.adgrid.grid.journal.SliceRecorder;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.cluster.memberselector.MemberSelectors;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.impl.operation.MultipleEntryOperation;
import com.hazelcast.spi.exception.RetryableHazelcastException;
import com.hazelcast.spi.impl.operationservice.Operation;

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
 *
 * <p>On a member with a {@link SliceJournal}, owner and backups also journal what the batch changed
 * before answering, so an acknowledged count survives even the death of every member.
 *
 * <p>A processor that needs the time ({@link OwnerStamped}) gets the owner's clock and ts window
 * here, and its backups get the same stamp: no caller's clock decides what a member accepts or forgets.
 */
public final class BackedUpEntryOperation extends MultipleEntryOperation {

    public BackedUpEntryOperation() {
    }

    public BackedUpEntryOperation(String mapName, Set<Data> keys, EntryProcessor<?, ?, ?> processor) {
        super(mapName, keys, processor);
    }

    @Override
    public void innerBeforeRun() throws Exception {
        super.innerBeforeRun();
        ReplayWindow window = getNodeEngine().getConfig().getUserContext().get(ReplayWindow.USER_CONTEXT_KEY) instanceof ReplayWindow w ? w : null;
        if (window != null && entryProcessor instanceof OwnerStamped stamped) {
            // A copy: a local call may share the caller's instance between partitions and re-sends.
            entryProcessor = stamped.stamped(window.clock().millis(), window);
        }
        SliceJournal journal = journal(this);
        if (journal != null && !journal.ready()) {
            throw new RetryableHazelcastException("the member's journal is not open yet");
        }
        if (journal != null && entryProcessor instanceof SealPending seal) {
            // The owner's life on what it seals: PostgreSQL refuses an ended life's batches (SealedBatch#life).
            entryProcessor = seal.inLife(journal.life());
            if (journal.partitionMarksEnforced() && !PartitionMarks.marked(mapServiceContext, getPartitionId())) {
                // Its entries are leftovers until the journals are replayed for it (LostPartitionRecovery).
                entryProcessor = seal.withheld();
            }
        }
        // A dead journal's identities are deleted from it once loaded: where they cannot be journaled (a
        // journal stopped as its member leaves, a full disk) they would live in memory only (issue 18, seed 31).
        if (journal != null && entryProcessor instanceof ApplyBatch load && load.journalsIdentities()) {
            String cannotJournal = journal.refusalBeforeApply();
            if (cannotJournal != null) {
                throw new JournalUnavailableException(cannotJournal);
            }
        }
        // Enforced here, on the member, whoever sends the batch: a gateway whose gate reading is old,
        // or its re-send of a batch that failed before every member died (issue 17.2).
        if (journal != null && entryProcessor instanceof ApplyBatch batch && !batch.identitiesOnly()) {
            if (!journal.countingStateKnown()) {
                throw new RetryableHazelcastException("the member has not yet read whether a dead grid life awaits replay");
            }
            String refusal = journal.countingRefusal();
            if (refusal != null) {
                throw new CountingRefusedException(refusal);
            }
            // A batch queued before a freeze long enough for the cluster to remove this member (issue 18, seed 34).
            // A member alone in its view was removed by nobody (a laptop that slept under `adgrid run`).
            String frozen = getNodeEngine().getConfig().getUserContext().get(FreezeFence.USER_CONTEXT_KEY) instanceof FreezeFence fence
                    ? fence.refusal() : null;
            // The member list only when fenced: it is filtered anew on each call, and this runs for every batch.
            if (frozen != null && getNodeEngine().getClusterService().getMembers(MemberSelectors.DATA_MEMBER_SELECTOR).size() > 1) {
                throw new CountingRefusedException(frozen);
            }
            // Checked here, on the partition thread: a partition that lost its owner and backups
            // together is empty, its mark included, before any batch can reach it (issue 17.5); a side
            // that lost the majority removed its marks (issue 18, seeds 26 and 30).
            if (journal.partitionMarksEnforced() && !PartitionMarks.marked(mapServiceContext, getPartitionId())) {
                throw new CountingRefusedException("partition " + getPartitionId() + " lost its owner and backup together (or "
                        + "was held by a side without the majority): it counts again once the journals are replayed for it");
            }
            String cannotJournal = journal.refusalBeforeApply();
            if (cannotJournal != null) {
                throw new JournalUnavailableException(cannotJournal);
            }
        }
    }

    /**
     * A full journal disk is logged once by the journal, a refusal to count by what decided it (the
     * recovery, the freeze watch), not per refused call (the gateway answers 503).
     */
    @Override
    public void logError(Throwable e) {
        if (e instanceof JournalUnavailableException || e instanceof CountingRefusedException) {
            getLogger().finest(e.getMessage());
            return;
        }
        super.logError(e);
    }

    @Override
    protected void runInternal() {
        journaled(this, super::runInternal);
    }

    @Override
    public Operation getBackupOperation() {
        EntryProcessor<?, ?, ?> backup = entryProcessor.getBackupProcessor();
        return backup == null ? null : new JournaledBackupOperation(name, keys, backup);
    }

    static SliceJournal journal(Operation op) {
        return (SliceJournal) op.getNodeEngine().getConfig().getUserContext().get(SliceJournal.USER_CONTEXT_KEY);
    }

    /** Runs {@code run} and journals the slices it applied, if this member has a journal. */
    static void journaled(Operation op, Runnable run) {
        SliceJournal journal = journal(op);
        if (journal == null) {
            run.run();
            return;
        }
        SliceRecorder.begin();
        List<AppliedSlice> applied;
        try {
            run.run();
        } finally {
            applied = SliceRecorder.end();
        }
        if (!applied.isEmpty()) {
            journal.append(applied);
        }
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
        return GridOperations.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridOperations.BACKED_UP_ENTRY_OPERATION;
    }
}
