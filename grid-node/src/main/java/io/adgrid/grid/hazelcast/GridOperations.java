package io.adgrid.grid.hazelcast;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Hazelcast serialization ids of the grid's own operations, beside the value types' ids in
 * {@code GridSerialization}: a factory of their own, so that the counters package never needs this one.
 */
public final class GridOperations implements DataSerializableFactory {

    public static final int FACTORY_ID = 7102;
    static final int BACKED_UP_ENTRY_OPERATION = 1;
    static final int JOURNALED_BACKUP_OPERATION = 2;

    @Override
    public IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case BACKED_UP_ENTRY_OPERATION -> new BackedUpEntryOperation();
            case JOURNALED_BACKUP_OPERATION -> new JournaledBackupOperation();
            default -> throw new IllegalArgumentException("unknown AdGrid operation id " + classId);
        };
    }
}
