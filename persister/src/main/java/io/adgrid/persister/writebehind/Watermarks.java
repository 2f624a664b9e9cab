package io.adgrid.persister.writebehind;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import io.adgrid.grid.port.Watermark;

/** Reads the write-behind watermarks of grid entries' epochs ({@code flush_watermark}). */
public final class Watermarks {

    private Watermarks() {
    }

    /** The watermark of each given epoch PostgreSQL has written anything of; others are {@link Watermark#NONE}. */
    public static Map<UUID, Watermark> read(Connection c, Collection<UUID> epochs) throws SQLException {
        Map<UUID, Watermark> out = new HashMap<>();
        if (epochs.isEmpty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT epoch, last_seq, cut_minute, full_seq FROM flush_watermark WHERE epoch = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("uuid", new HashSet<>(epochs).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getObject(1, UUID.class), new Watermark(rs.getLong(2), rs.getLong(3), rs.getLong(4)));
                }
            }
        }
        return out;
    }

    /** As {@link #read(Connection, Collection)}, on a connection of its own. */
    public static Map<UUID, Watermark> read(DataSource dataSource, Collection<UUID> epochs) {
        try (Connection c = dataSource.getConnection()) {
            return read(c, epochs);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read write-behind watermarks: " + e.getMessage(), e);
        }
    }
}
