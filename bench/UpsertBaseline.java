import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The database-centred baseline of issue 5, P2: one {@code INSERT ... ON CONFLICT DO UPDATE} per event,
 * autocommit, over k JDBC connections, into a scratch copy of counter_minute. Single-file program; needs
 * the PostgreSQL JDBC driver on the class path:
 * <pre>
 *   java -cp ~/.m2/repository/org/postgresql/postgresql/42.7.14/postgresql-42.7.14.jar bench/UpsertBaseline.java \
 *        --jdbc jdbc:postgresql://127.0.0.1:PORT/postgres [--user postgres] [--password ""] [--seconds 10] [--connections 8]
 *        [--banners 1000] [--publishers 100]
 * </pre>
 * Creates {@code bench_upsert_<pid>} as {@code (LIKE counter_minute INCLUDING ALL)} (a plain table: LIKE
 * does not copy partitioning), so AdGrid's counters are never touched, and drops it at the end (also on
 * Ctrl-C). Event i of a connection: banner 1 + i % banners, publisher 1 + (i / banners) % publishers, the
 * current minute (the demo's cardinality: up to 100,000 rows a minute). Prints events/s, statement
 * latency and checks that the table's sum equals the statements executed; the last line is key=value.
 */
public class UpsertBaseline {

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String url = opt.get("jdbc");
        if (url == null) {
            throw new IllegalArgumentException("--jdbc jdbc:postgresql://host:port/db is required");
        }
        String user = opt.getOrDefault("user", "postgres");
        String password = opt.getOrDefault("password", "");
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        int connections = Integer.parseInt(opt.getOrDefault("connections", "8"));
        int banners = Integer.parseInt(opt.getOrDefault("banners", "1000"));
        int publishers = Integer.parseInt(opt.getOrDefault("publishers", "100"));
        String table = "bench_upsert_" + ProcessHandle.current().pid();
        String upsert = "INSERT INTO " + table + " AS c (minute, campaign_id, banner_id, publisher_id, impressions)"
                + " VALUES (?, ?, ?, ?, 1) ON CONFLICT (minute, banner_id, publisher_id)"
                + " DO UPDATE SET impressions = c.impressions + 1";

        try (Connection admin = DriverManager.getConnection(url, user, password); Statement st = admin.createStatement()) {
            st.execute("CREATE TABLE " + table + " (LIKE counter_minute INCLUDING ALL)");
            // Durability settings decide what a commit costs: say them next to the figure.
            StringBuilder settings = new StringBuilder();
            for (String name : new String[] {"fsync", "synchronous_commit", "shared_buffers"}) {
                try (ResultSet rs = st.executeQuery("SHOW " + name)) {
                    rs.next();
                    settings.append(name).append('=').append(rs.getString(1)).append(' ');
                }
            }
            System.out.println("PostgreSQL " + settings.toString().trim());
        }
        Thread dropper = new Thread(() -> drop(url, user, password, table));
        Runtime.getRuntime().addShutdownHook(dropper);

        AtomicLong done = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long[][] latencies = new long[connections][];
        int[] counts = new int[connections];
        long start = System.nanoTime();
        long deadline = start + seconds * 1_000_000_000L;
        Thread[] threads = new Thread[connections];
        for (int t = 0; t < connections; t++) {
            int me = t;
            threads[t] = new Thread(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                try (Connection c = DriverManager.getConnection(url, user, password); PreparedStatement ps = c.prepareStatement(upsert)) {
                    c.setAutoCommit(true);
                    for (long i = me; System.nanoTime() < deadline; i += connections) {
                        long b = 1 + i % banners;
                        long p = 1 + (i / banners) % publishers;
                        long minuteMillis = System.currentTimeMillis() / 60_000 * 60_000;
                        ps.setTimestamp(1, new Timestamp(minuteMillis));
                        ps.setLong(2, (b - 1) % 10 + 1);
                        ps.setLong(3, b);
                        ps.setLong(4, p);
                        long s = System.nanoTime();
                        ps.executeUpdate();
                        if (n == lat.length) {
                            lat = Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = System.nanoTime() - s;
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                    System.err.println("connection " + me + " failed: " + e);
                }
                latencies[me] = lat;
                counts[me] = n;
            }, "upsert-" + t);
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] all = new long[0];
        for (int t = 0; t < connections; t++) {
            long[] mine = Arrays.copyOf(latencies[t], counts[t]);
            long[] merged = Arrays.copyOf(all, all.length + mine.length);
            System.arraycopy(mine, 0, merged, all.length, mine.length);
            all = merged;
        }
        Arrays.sort(all);
        long inTable;
        long rows;
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(impressions), 0), count(*) FROM " + table)) {
            rs.next();
            inTable = rs.getLong(1);
            rows = rs.getLong(2);
        }
        Runtime.getRuntime().removeShutdownHook(dropper);
        drop(url, user, password, table);

        double eps = done.get() / elapsed;
        System.out.printf("%-34s %,15d%n", "events (upserts committed)", done.get());
        System.out.printf("%-34s %,15d (%,d rows)%n", "sum(impressions) in the table", inTable, rows);
        System.out.printf("%-34s %15.2f%n", "seconds", elapsed);
        System.out.printf("%-34s %,15.0f%n", "events/s", eps);
        System.out.printf("%-34s %15.3f / %.3f / %.3f ms%n", "statement p50 / p99 / p99.9", pct(all, 50), pct(all, 99), pct(all, 99.9));
        System.out.printf("events=%d in_table=%d failures=%d seconds=%.3f events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f%n",
                done.get(), inTable, failures.get(), elapsed, eps, pct(all, 50), pct(all, 99));
        System.exit(inTable == done.get() && failures.get() == 0 ? 0 : 1);
    }

    static void drop(String url, String user, String password, String table) {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + table);
        } catch (Exception e) {
            System.err.println("could not drop " + table + ": " + e);
        }
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
