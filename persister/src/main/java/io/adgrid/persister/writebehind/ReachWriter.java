package io.adgrid.persister.writebehind;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.reach.ReachSketch;
import io.adgrid.persister.rollup.RollupBoundaries;

/**
 * Adds the users of write-behind batches to PostgreSQL's reach (issue 21), in the caller's
 * transaction: each banner-day and campaign-day row becomes the union of what it held and the new
 * sketches. A union is idempotent, so a batch written twice changes nothing.
 *
 * <p>Rows are created first ({@code ON CONFLICT DO NOTHING} waits for a writer creating the same
 * row), then locked and read, merged in Java and written back, always in key order, so that two
 * writers never lose each other's users and never deadlock.
 */
final class ReachWriter {

    private record Key(long id, long day) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return id != o.id ? Long.compare(id, o.id) : Long.compare(day, o.day);
        }
    }

    private ReachWriter() {
    }

    static void add(Connection c, Collection<ReachSketch> sketches) throws SQLException {
        if (sketches.isEmpty()) {
            return;
        }
        RollupBoundaries bounds = RollupBoundaries.readForShare(c);
        Map<Key, List<byte[]>> byBanner = new TreeMap<>();
        Map<Key, Long> campaignOfBanner = new TreeMap<>();
        Map<Key, List<byte[]>> byCampaign = new TreeMap<>();
        for (ReachSketch s : sketches) {
            if (bounds.dropped(s.day() * 24 * 60)) {
                continue; // a day the day retention dropped (a journal replayed late): as its counts, kept nowhere
            }
            Key banner = new Key(s.bannerId(), s.day());
            byBanner.computeIfAbsent(banner, k -> new ArrayList<>()).add(s.sketch());
            campaignOfBanner.put(banner, s.campaignId());
            byCampaign.computeIfAbsent(new Key(s.campaignId(), s.day()), k -> new ArrayList<>()).add(s.sketch());
        }
        merge(c, "reach_banner_day", "banner_id", byBanner, campaignOfBanner);
        merge(c, "reach_campaign_day", "campaign_id", byCampaign, null);
    }

    private static void merge(Connection c, String table, String idColumn, Map<Key, List<byte[]>> added,
                              Map<Key, Long> campaignOf) throws SQLException {
        String create = campaignOf == null
                ? "INSERT INTO " + table + " (day, " + idColumn + ") VALUES (?::date, ?) ON CONFLICT DO NOTHING"
                : "INSERT INTO " + table + " (day, " + idColumn + ", campaign_id) VALUES (?::date, ?, ?) ON CONFLICT DO NOTHING";
        try (PreparedStatement ps = c.prepareStatement(create)) {
            for (Key k : added.keySet()) {
                ps.setString(1, LocalDate.ofEpochDay(k.day()).toString());
                ps.setLong(2, k.id());
                if (campaignOf != null) {
                    ps.setLong(3, campaignOf.get(k));
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
        Long[] ids = new Long[added.size()];
        String[] days = new String[added.size()];
        int i = 0;
        for (Key k : added.keySet()) {
            ids[i] = k.id();
            days[i++] = LocalDate.ofEpochDay(k.day()).toString();
        }
        Map<Key, byte[]> held = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + idColumn + ", day, sketch FROM " + table + " WHERE (" + idColumn
                + ", day) IN (SELECT * FROM unnest(?::bigint[], ?::date[])) ORDER BY " + idColumn + ", day FOR UPDATE")) {
            ps.setArray(1, c.createArrayOf("bigint", ids));
            ps.setArray(2, c.createArrayOf("text", days));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byte[] sketch = rs.getBytes(3);
                    if (sketch != null) {
                        held.put(new Key(rs.getLong(1), rs.getObject(2, LocalDate.class).toEpochDay()), sketch);
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET sketch = ? WHERE " + idColumn + " = ? AND day = ?::date")) {
            for (Map.Entry<Key, List<byte[]>> e : added.entrySet()) {
                List<byte[]> all = new ArrayList<>(e.getValue());
                byte[] before = held.get(e.getKey());
                if (before != null) {
                    all.add(before);
                }
                ps.setBytes(1, Reach.union(all));
                ps.setLong(2, e.getKey().id());
                ps.setString(3, LocalDate.ofEpochDay(e.getKey().day()).toString());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
