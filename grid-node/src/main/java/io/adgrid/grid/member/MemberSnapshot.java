package io.adgrid.grid.member;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
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
                             List<MeterSample> meters) {

    void writeTo(DataOutput out) throws IOException {
        out.writeUTF(uuid);
        out.writeUTF(address);
        out.writeBoolean(lite);
        out.writeInt(partitions);
        out.writeLong(ownedEntries);
        out.writeLong(backupEntries);
        out.writeLong(heapUsed);
        out.writeLong(heapMax);
        out.writeLong(uptimeMillis);
        out.writeInt(meters.size());
        for (MeterSample m : meters) {
            m.writeTo(out);
        }
    }

    static MemberSnapshot readFrom(DataInput in) throws IOException {
        String uuid = in.readUTF();
        String address = in.readUTF();
        boolean lite = in.readBoolean();
        int partitions = in.readInt();
        long owned = in.readLong();
        long backups = in.readLong();
        long heapUsed = in.readLong();
        long heapMax = in.readLong();
        long uptime = in.readLong();
        int n = in.readInt();
        List<MeterSample> meters = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            meters.add(MeterSample.readFrom(in));
        }
        return new MemberSnapshot(uuid, address, lite, partitions, owned, backups, heapUsed, heapMax, uptime, meters);
    }
}
