package io.adgrid.grid.member;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Hazelcast serialization ids of what a member says about itself to the ops overview. */
public final class MemberSerialization implements DataSerializableFactory {

    public static final int FACTORY_ID = 7103;
    static final int SNAPSHOT_TASK = 1;
    static final int SNAPSHOT_ANSWER = 2;

    @Override
    public IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case SNAPSHOT_TASK -> new MemberSnapshotTask();
            case SNAPSHOT_ANSWER -> new MemberSnapshotTask.Answer();
            default -> throw new IllegalArgumentException("unknown AdGrid member class id " + classId);
        };
    }
}
