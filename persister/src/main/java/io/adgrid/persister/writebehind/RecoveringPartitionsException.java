package io.adgrid.persister.writebehind;

import java.util.Set;

/**
 * A flush could not write everything accepted: these partitions are being recovered (their owner and
 * backup were lost together), and their counts reach PostgreSQL by the replay of their journals, not
 * by the write-behind. Nothing is lost; flush again once they count.
 */
public final class RecoveringPartitionsException extends IllegalStateException {

    public RecoveringPartitionsException(Set<Integer> partitions) {
        super("partitions " + partitions + " are being recovered: their counts reach PostgreSQL by the replay of their journals, "
                + "not by a flush; flush again once they count");
    }
}
