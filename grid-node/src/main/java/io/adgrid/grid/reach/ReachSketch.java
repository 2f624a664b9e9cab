package io.adgrid.grid.reach;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/** The users a banner's impressions reached on one UTC day (epoch day), as a serialized sketch ({@link Reach}). */
public record ReachSketch(long bannerId, long campaignId, long day, byte[] sketch) {

    public void writeTo(DataOutput out) throws IOException {
        out.writeLong(bannerId);
        out.writeLong(campaignId);
        out.writeLong(day);
        out.writeInt(sketch.length);
        out.write(sketch);
    }

    public static ReachSketch readFrom(DataInput in) throws IOException {
        long banner = in.readLong();
        long campaign = in.readLong();
        long day = in.readLong();
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return new ReachSketch(banner, campaign, day, bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReachSketch r && r.bannerId == bannerId && r.campaignId == campaignId && r.day == day
                && Arrays.equals(r.sketch, sketch);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bannerId) * 31 + Long.hashCode(day) * 17 + Arrays.hashCode(sketch);
    }

    @Override
    public String toString() {
        return "ReachSketch[banner=" + bannerId + ", campaign=" + campaignId + ", day=" + day + ", bytes=" + sketch.length + "]";
    }
}
