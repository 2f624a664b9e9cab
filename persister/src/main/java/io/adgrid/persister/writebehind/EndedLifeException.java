package io.adgrid.persister.writebehind;

/**
 * The batches were sealed in a grid life that a newer one has ended ({@code grid_life}): the newer
 * life replays the old one's journals into PostgreSQL, so these counts are there or on their way,
 * and writing them would count them twice. Nothing was written. The member that sealed them was cut
 * off from the grid; restarted, its journal is replayed into the living grid like any dead one.
 */
public final class EndedLifeException extends IllegalStateException {

    public EndedLifeException(String life, String endedBy, String endedAt) {
        super("grid life " + life + " was ended by grid life " + endedBy + " at " + endedAt + ", which replays its journals: "
                + "batches sealed in it are not written (they would count twice). This member was cut off from the grid; "
                + "restart it, and its journal is replayed into the living grid");
    }
}
