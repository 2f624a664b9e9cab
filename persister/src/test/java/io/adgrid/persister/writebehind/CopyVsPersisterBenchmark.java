package io.adgrid.persister.writebehind;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import io.adgrid.persister.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Issue 5, P5 (second half): rows/s of the persister's write path ({@link CounterWriter#write}: watermark
 * upsert and multi-row unnest upsert in one transaction) against a raw {@code COPY} of the same rows into
 * the same table (counter_minute, today's partition), on a throwaway real PostgreSQL. Not a test of the
 * default suite (the name matches neither *Test nor *IT): {@code bench/copy-vs-persister.sh} runs it.
 * Rows are the demo's cardinality: banner 1..1000 x publisher 1..100 in the current minute, one sealed batch
 * per banner (as the grid seals one per entry). For each size the persister writes them into an empty
 * table (inserts), then again as the next batches (updates of the same rows); COPY loads them into an
 * empty table. Best of {@code -Dbench.rounds} (3) each; sizes {@code -Dbench.sizes} (1000,10000,100000).
 * It fails if a path wrote a wrong total, so a fast but wrong path cannot look good.
 * <p>The updates run twice per round, once as a journaled grid sends batches (each names the
 * watermark PostgreSQL acknowledged before it and the grid life that sealed it, so {@link
 * CounterWriter} reads the watermarks, to refuse writing over lost commits, issue 17.6, and the
 * life's row FOR SHARE, to refuse an ended life's batches) and once without those checks; the two
 * alternate in order from round to round, and the table gives their ratio.
 */
class CopyVsPersisterBenchmark {

    private static TestDatabase db;
    private final long minute = Math.floorDiv(Instant.now().toEpochMilli(), 60_000L);

    @BeforeAll
    static void startDatabase() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stopDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void persisterRowsPerSecondAgainstRawCopy() throws Exception {
        int[] sizes = Arrays.stream(System.getProperty("bench.sizes", "1000,10000,100000").split(","))
                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int rounds = Integer.getInteger("bench.rounds", 3);
        CounterWriter writer = new CounterWriter(db.dataSource());
        java.util.UUID life = java.util.UUID.randomUUID();
        db.sql("INSERT INTO grid_life (id) VALUES ('" + life + "')");
        StringBuilder table = new StringBuilder()
                .append("| rows | persister insert rows/s | persister update rows/s | update with the lost-writes and ended-life checks rows/s | COPY rows/s | insert / COPY | update / COPY | checked / unchecked update |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        for (int n : sizes) {
            double insert = 0;
            double update = 0;
            double checked = 0;
            double copy = 0;
            for (int r = 0; r < rounds; r++) {
                db.truncateCounters();
                List<SealedBatch> first = batches(n, null, 1);
                long t0 = System.nanoTime();
                CounterWriter.Result written = writer.write(first);
                insert = Math.max(insert, n / seconds(t0));
                assertThat(written.rows()).isEqualTo(n);
                boolean checkFirst = r % 2 == 1;
                for (long seq = 2; seq <= 3; seq++) {
                    boolean check = (seq == 2) == checkFirst;
                    List<SealedBatch> next = batches(n, first, seq, check ? new Watermark(seq - 1, Long.MAX_VALUE, seq - 1) : Watermark.NONE);
                    if (check) {
                        next.forEach(b -> b.inLife(life));
                    }
                    t0 = System.nanoTime();
                    writer.write(next);
                    double rate = n / seconds(t0);
                    if (check) {
                        checked = Math.max(checked, rate);
                    } else {
                        update = Math.max(update, rate);
                    }
                }
                assertThat(db.counterTotals().impressions).isEqualTo(3L * 7 * n);

                db.truncateCounters();
                String rows = copyRows(n);
                t0 = System.nanoTime();
                long copied = copy(rows);
                copy = Math.max(copy, n / seconds(t0));
                assertThat(copied).isEqualTo(n);
                assertThat(db.counterTotals().impressions).isEqualTo(7L * n);
            }
            table.append(String.format("| %,d | %,.0f | %,.0f | %,.0f | %,.0f | %.2f | %.2f | %.2f |%n",
                    n, insert, update, checked, copy, insert / copy, update / copy, checked / update));
        }
        String report = "P5 persister write path vs raw COPY into counter_minute (best of " + rounds + " rounds each)\n" + table;
        System.out.println("\n" + report);
        Path out = Path.of("target", "copy-vs-persister.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
    }

    /** The first n keys of the demo layout, one sealed batch per banner; {@code previous} gives the epochs to continue. */
    private List<SealedBatch> batches(int n, List<SealedBatch> previous, long seq) {
        return batches(n, previous, seq, Watermark.NONE);
    }

    /** @param acknowledged what each epoch's batch says PostgreSQL held before it ({@link Watermark#NONE}: no check) */
    private List<SealedBatch> batches(int n, List<SealedBatch> previous, long seq, Watermark acknowledged) {
        Map<Long, CounterDeltas> byBanner = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            long b = 1 + i % 1000;
            long p = 1 + (i / 1000) % 100;
            byBanner.computeIfAbsent(b, x -> new CounterDeltas()).add(new CounterKey(minute, (b - 1) % 10 + 1, b, p), new Counts(7, 0, 0, 0));
        }
        List<SealedBatch> out = new ArrayList<>();
        int k = 0;
        for (CounterDeltas d : byBanner.values()) {
            long hi;
            long lo;
            if (previous == null) {
                hi = ThreadLocalRandom.current().nextLong();
                lo = ThreadLocalRandom.current().nextLong();
            } else {
                hi = previous.get(k).epoch().getMostSignificantBits();
                lo = previous.get(k).epoch().getLeastSignificantBits();
            }
            out.add(new SealedBatch(hi, lo, seq, Long.MAX_VALUE, d, acknowledged));
            k++;
        }
        return out;
    }

    private String copyRows(int n) {
        String ts = Instant.ofEpochSecond(minute * 60).toString();
        StringBuilder sb = new StringBuilder(n * 48);
        for (int i = 0; i < n; i++) {
            long b = 1 + i % 1000;
            long p = 1 + (i / 1000) % 100;
            sb.append(ts).append('\t').append((b - 1) % 10 + 1).append('\t').append(b).append('\t').append(p).append("\t7\t0\t0\t0\n");
        }
        return sb.toString();
    }

    private static long copy(String rows) throws SQLException, IOException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(true);
            return c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                    "COPY counter_minute (minute, campaign_id, banner_id, publisher_id, impressions, clicks, conversions, revenue_micros) FROM STDIN",
                    new StringReader(rows));
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
