package io.adgrid.grid.member;

import java.util.List;

/**
 * The meters of the process a member runs in, read when the ops overview asks ({@link MemberSnapshotTask}). The
 * process publishes one in its member's user context under {@link MemberSnapshotTask#METERS}; grid-node itself
 * knows no metrics library.
 */
@FunctionalInterface
public interface MemberMeters {

    List<MeterSample> samples();
}
