package io.adgrid.grid.counters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.reach.ReachSketch;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** What {@link SnapshotReach} found in one entry, as the grid sends it. */
public final class ReachSketches implements IdentifiedDataSerializable {

    private List<ReachSketch> sketches;

    public ReachSketches() {
    }

    ReachSketches(List<ReachSketch> sketches) {
        this.sketches = sketches;
    }

    public List<ReachSketch> sketches() {
        return sketches;
    }

    @Override
    public int getFactoryId() {
        return GridSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return GridSerialization.REACH_SKETCHES;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeInt(sketches.size());
        for (ReachSketch r : sketches) {
            r.writeTo(out);
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        int n = in.readInt();
        sketches = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sketches.add(ReachSketch.readFrom(in));
        }
    }
}
