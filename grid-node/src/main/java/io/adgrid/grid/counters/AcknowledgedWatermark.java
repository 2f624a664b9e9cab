package io.adgrid.grid.counters;

import io.adgrid.grid.port.Watermark;
import java.util.Map;
import java.util.UUID;

/**
 * Reads what an entry knows PostgreSQL holds of its epoch ({@code {epochHi, epochLo, lastSeq,
 * cutMinute, fullSeq}}, null for no entry): after a failover, a watermark found behind it names the
 * write-behind batches the new primary lost (issue 17.6).
 */
public final class AcknowledgedWatermark extends StatelessEntryRead<long[]> {

    @Override
    public long[] process(Map.Entry<Long, RouteState> entry) {
        RouteState state = entry.getValue();
        if (state == null) {
            return null;
        }
        Watermark w = state.acknowledged();
        UUID epoch = state.epoch();
        return new long[] {epoch.getMostSignificantBits(), epoch.getLeastSignificantBits(), w.lastSeq(), w.cutMinute(), w.fullSeq()};
    }

    @Override
    public int getClassId() {
        return GridSerialization.ACKNOWLEDGED_WATERMARK;
    }
}
