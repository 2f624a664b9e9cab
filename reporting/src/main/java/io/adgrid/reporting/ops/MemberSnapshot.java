package io.adgrid.reporting.ops;

import java.io.Serializable;
import java.util.List;

/**
 * What one cluster member (one AdGrid process) says about itself to the ops overview.
 *
 * @param partitions    partitions this member owns (0 for a lite member)
 * @param ownedEntries  grid entries (routing keys) of the counters map it owns
 * @param backupEntries backup copies of other members' entries it holds
 * @param meters        this process's AdGrid, GC and in-flight meters; empty when the process has no registry
 */
public record MemberSnapshot(String uuid, String address, boolean lite, int partitions, long ownedEntries,
                             long backupEntries, long heapUsed, long heapMax, long uptimeMillis,
                             List<MeterSample> meters) implements Serializable {

    private static final long serialVersionUID = 1L;
}
