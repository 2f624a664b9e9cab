package io.adgrid.persister.writebehind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.port.CounterDeltas;
import io.adgrid.grid.port.CounterKey;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.port.SealedBatch;
import io.adgrid.grid.port.Watermark;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CounterWriterIT {

    private static TestDatabase db;

    private CounterWriter writer;
    /**
     * A minute of today at least an hour after midnight UTC, so the keys below (up to 59 minutes
     * earlier) stay in today: a count for a day before the database's first day is rightly added to
     * the hour and day tables too (V8), which would change the row counts asserted here.
     */
    private final long minute = Math.max(Math.floorDiv(Instant.now().toEpochMilli(), 60_000L),
            LocalDate.now(ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toEpochSecond() / 60 + 60);

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

    @BeforeEach
    void emptyCounters() {
        db.truncateCounters();
        writer = new CounterWriter(db.dataSource());
    }

    @Test
    void sameBatchWrittenTwiceLeavesTheSameTotals() throws Exception {
        UUID epoch = UUID.randomUUID();
        SealedBatch batch = batch(epoch, 1, deltas(
                key(minute, 1, 11, 7), new Counts(5, 2, 1, 2_500_000),
                key(minute - 1, 1, 12, 7), new Counts(3, 0, 0, 0)));

        CounterWriter.Result first = writer.write(List.of(batch));
        Counts afterFirst = db.counterTotals();
        CounterWriter.Result second = writer.write(List.of(batch));

        assertThat(first.newBatches()).isEqualTo(1);
        assertThat(first.rows()).isEqualTo(2);
        assertThat(afterFirst).isEqualTo(new Counts(8, 2, 1, 2_500_000));
        assertThat(second.batches()).isEqualTo(1);
        assertThat(second.newBatches()).isZero();
        assertThat(db.counterTotals()).isEqualTo(afterFirst);
        assertThat(watermark(epoch)).isEqualTo(1);
    }

    /** Issue 17.6: a promoted standby lacks batches 1 and 2, which the grid acknowledged before sealing batch 3. */
    @Test
    void aBatchOverWritesTheDatabaseLostIsRefusedUntilTheWatermarkIsRepaired() throws Exception {
        UUID epoch = UUID.randomUUID();
        CounterDeltas counts = deltas(key(minute, 4, 41, 5), new Counts(3, 0, 0, 0));
        SealedBatch third = new SealedBatch(epoch.getMostSignificantBits(), epoch.getLeastSignificantBits(), 3, Long.MAX_VALUE,
                counts, Watermark.full(2));

        assertThatThrownBy(() -> writer.write(List.of(third))).isInstanceOfSatisfying(LostWritesException.class,
                e -> assertThat(e.acknowledged()).containsExactly(java.util.Map.entry(epoch, Watermark.full(2))));
        assertThat(db.counterTotals()).as("nothing written over the gap").isEqualTo(new Counts(0, 0, 0, 0));
        assertThat(watermarkOf(epoch)).isNull();

        try (Connection c = db.dataSource().getConnection()) {
            CounterWriter.advanceWatermarks(c, java.util.Map.of(epoch, Watermark.full(2)));
        }
        assertThat(writer.write(List.of(third)).newBatches()).isEqualTo(1);
        assertThat(db.counterTotals()).isEqualTo(new Counts(3, 0, 0, 0));
        assertThat(watermarkOf(epoch)).isEqualTo(Watermark.full(3));
    }

    @Test
    void lateEventForAWrittenMinuteIsAddedNotOverwritten() throws Exception {
        UUID epoch = UUID.randomUUID();
        CounterKey k = key(minute, 2, 21, 3);
        writer.write(List.of(batch(epoch, 1, deltas(k, new Counts(10, 4, 0, 0)))));

        CounterWriter.Result late = writer.write(List.of(batch(epoch, 2, deltas(k, new Counts(1, 0, 0, 0)))));

        assertThat(late.newBatches()).isEqualTo(1);
        assertThat(rowOf(k)).isEqualTo(new Counts(11, 4, 0, 0));
        assertThat(db.sqlLong("SELECT count(*) FROM counter_minute")).isEqualTo(1);
        assertThat(watermark(epoch)).isEqualTo(2);
    }

    @Test
    void partialBatchesRecordTheirCutAndTheLastFullBatch() throws Exception {
        UUID epoch = UUID.randomUUID();
        CounterKey closed = key(minute - 1, 3, 32, 4);

        writer.write(List.of(batch(epoch, 1, minute, deltas(closed, new Counts(2, 0, 0, 0)))));
        Watermark afterPartial = watermarkOf(epoch);
        writer.write(List.of(batch(epoch, 2, deltas(key(minute, 3, 32, 4), new Counts(1, 0, 0, 0)))));
        Watermark afterFull = watermarkOf(epoch);
        writer.write(List.of(batch(epoch, 3, minute - 5, deltas(key(minute - 6, 3, 32, 4), new Counts(1, 0, 0, 0)))));
        writer.write(List.of(batch(epoch, 1, minute, deltas(closed, new Counts(2, 0, 0, 0)))));

        assertThat(afterPartial).isEqualTo(new Watermark(1, minute, 0));
        assertThat(afterFull).isEqualTo(new Watermark(2, Long.MAX_VALUE, 2));
        assertThat(watermarkOf(epoch)).as("a partial batch after a full one keeps the full one; an old batch changes nothing")
                .isEqualTo(new Watermark(3, minute - 5, 2));
        assertThat(db.counterTotals().impressions).isEqualTo(4);
    }

    @Test
    void batchAtOrBelowTheWatermarkIsSkipped() throws Exception {
        UUID epoch = UUID.randomUUID();
        CounterKey k = key(minute, 3, 31, 4);
        writer.write(List.of(batch(epoch, 5, deltas(k, new Counts(7, 0, 0, 0)))));

        CounterWriter.Result equal = writer.write(List.of(batch(epoch, 5, deltas(k, new Counts(100, 0, 0, 0)))));
        CounterWriter.Result lower = writer.write(List.of(batch(epoch, 4, deltas(k, new Counts(1000, 0, 0, 0)))));

        assertThat(equal.newBatches()).isZero();
        assertThat(lower.newBatches()).isZero();
        assertThat(rowOf(k)).isEqualTo(new Counts(7, 0, 0, 0));
        assertThat(watermark(epoch)).isEqualTo(5);
    }

    @Test
    void skippedBatchDoesNotHoldBackTheNewOnesWrittenWithIt() throws Exception {
        UUID old = UUID.randomUUID();
        UUID fresh = UUID.randomUUID();
        CounterKey k = key(minute, 3, 32, 4);
        SealedBatch already = batch(old, 1, deltas(k, new Counts(2, 0, 0, 0)));
        writer.write(List.of(already));

        CounterWriter.Result r = writer.write(List.of(already, batch(fresh, 1, deltas(k, new Counts(3, 1, 0, 0)))));

        assertThat(r.batches()).isEqualTo(2);
        assertThat(r.newBatches()).isEqualTo(1);
        assertThat(rowOf(k)).isEqualTo(new Counts(5, 1, 0, 0));
    }

    @Test
    void twoEpochsForTheSameCounterKeyAddUp() throws Exception {
        CounterKey k = key(minute, 4, 41, 9);
        writer.write(List.of(batch(UUID.randomUUID(), 1, deltas(k, new Counts(6, 1, 0, 0)))));
        writer.write(List.of(batch(UUID.randomUUID(), 1, deltas(k, new Counts(4, 2, 0, 0)))));
        // and two epochs in one call
        writer.write(List.of(
                batch(UUID.randomUUID(), 1, deltas(k, new Counts(1, 0, 0, 0))),
                batch(UUID.randomUUID(), 3, deltas(k, new Counts(1, 0, 0, 0)))));

        assertThat(rowOf(k)).isEqualTo(new Counts(12, 3, 0, 0));
        assertThat(db.sqlLong("SELECT count(*) FROM flush_watermark")).isEqualTo(4);
    }

    @Test
    void minuteOnADayWithoutAPartitionIsWrittenAndCreatesItsDay() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).plusDays(30);
        String partition = "counter_minute_" + day.toString().replace("-", "");
        long far = day.atTime(13, 37).toEpochSecond(ZoneOffset.UTC) / 60;
        CounterKey k = key(far, 5, 51, 2);
        assertThat(partitionExists(partition)).isFalse();

        CounterWriter.Result r = writer.write(List.of(batch(UUID.randomUUID(), 1, deltas(k, new Counts(9, 3, 1, 1_000_000)))));

        assertThat(r.newBatches()).isEqualTo(1);
        assertThat(partitionExists(partition)).isTrue();
        assertThat(rowOf(k)).isEqualTo(new Counts(9, 3, 1, 1_000_000));
        assertThat(db.sqlLong("SELECT count(*) FROM " + partition)).isEqualTo(1);
    }

    @Test
    void ensureCounterPartitionsIsIdempotent() {
        LocalDate first = LocalDate.now(ZoneOffset.UTC).plusDays(400);
        long before = partitionCount();

        db.sql("SELECT ensure_counter_partitions(?, ?)", first, 3);
        long afterFirstCall = partitionCount();
        db.sql("SELECT ensure_counter_partitions(?, ?)", first, 3);
        Database.ensurePartitions(db.dataSource(), first.plusDays(1), 3);

        assertThat(afterFirstCall).isEqualTo(before + 3);
        assertThat(partitionCount()).isEqualTo(before + 4);
        assertThat(partitionExists("counter_minute_" + first.plusDays(3).toString().replace("-", ""))).isTrue();
    }

    @Test
    void partitionsCoverWholeUtcDays() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).plusDays(500);
        long lastMinuteOfDay = day.plusDays(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC) / 60 - 1;
        long firstMinuteOfNext = lastMinuteOfDay + 1;

        writer.write(List.of(batch(UUID.randomUUID(), 1, deltas(
                key(lastMinuteOfDay, 6, 61, 1), new Counts(1, 0, 0, 0),
                key(firstMinuteOfNext, 6, 61, 1), new Counts(2, 0, 0, 0)))));

        assertThat(db.sqlLong("SELECT sum(impressions) FROM counter_minute_" + day.toString().replace("-", ""))).isEqualTo(1);
        assertThat(db.sqlLong("SELECT sum(impressions) FROM counter_minute_" + day.plusDays(1).toString().replace("-", ""))).isEqualTo(2);
    }

    @Test
    void suspectClicksAreAddedApartFromClicksAndARewrittenBatchIsSkipped() throws Exception {
        CounterKey k = key(minute, 2, 21, 4);
        UUID epoch = UUID.randomUUID();
        SealedBatch first = batch(epoch, 1, deltas(k, new Counts(10, 3, 0, 0, 2)));
        writer.write(List.of(first));
        writer.write(List.of(first));

        writer.write(List.of(batch(epoch, 2, deltas(k, new Counts(0, 1, 0, 0, 5)))));

        assertThat(rowOf(k)).isEqualTo(new Counts(10, 4, 0, 0, 7));
        assertThat(db.sqlLong("SELECT suspect_clicks FROM counter_minute")).isEqualTo(7);
    }

    @Test
    void invalidTrafficIsAddedApartFromTheBilledCounts() throws Exception {
        CounterKey k = key(minute, 2, 22, 4);
        UUID epoch = UUID.randomUUID();
        writer.write(List.of(batch(epoch, 1, deltas(k, new Counts(10, 3, 0, 0, 2, 6)))));
        writer.write(List.of(batch(epoch, 2, deltas(k, new Counts(1, 0, 0, 0, 0, 4)))));

        assertThat(rowOf(k)).isEqualTo(new Counts(11, 3, 0, 0, 2, 10));
        assertThat(db.sqlLong("SELECT invalid FROM counter_minute")).isEqualTo(10);
    }

    /** Issue 21: each write merges its batches' users into the banner-day and campaign-day rows by union. */
    @Test
    void reachIsTheUnionOfEveryBatchsUsersAndABatchWrittenTwiceAddsNone() throws Exception {
        long day = Math.floorDiv(minute, 1440);
        CounterKey k = key(minute, 3, 31, 4);
        UUID epoch = UUID.randomUUID();
        SealedBatch first = batch(epoch, 1, deltas(k, new Counts(3, 0, 0, 0)), List.of(reach(31, 3, day, 0, 300), reach(31, 3, day + 1, 0, 10)));
        writer.write(List.of(first));
        writer.write(List.of(first));
        // users 200..499 again on banner 31 and 450..599 on banner 32 of the same campaign, from another entry
        writer.write(List.of(batch(epoch, 2, deltas(k, new Counts(1, 0, 0, 0)), List.of(reach(31, 3, day, 200, 500))),
                batch(UUID.randomUUID(), 1, deltas(key(minute, 3, 32, 4), new Counts(1, 0, 0, 0)), List.of(reach(32, 3, day, 450, 600)))));

        assertThat(db.reach("reach_banner_day", "banner_id = 31 AND day = ?::date", LocalDate.ofEpochDay(day).toString())).isEqualTo(500);
        assertThat(db.reach("reach_banner_day", "banner_id = 32")).isEqualTo(150);
        assertThat(db.reach("reach_campaign_day", "campaign_id = 3 AND day = ?::date", LocalDate.ofEpochDay(day).toString())).isEqualTo(600);
        assertThat(db.reach("reach_campaign_day", "campaign_id = 3")).as("both days: the same users").isEqualTo(600);
        assertThat(db.sqlLong("SELECT count(*) FROM reach_campaign_day")).isEqualTo(2);
    }

    @Test
    void writersOfOneCampaignDayAtOnceLoseNoUser() throws Exception {
        long day = Math.floorDiv(minute, 1440);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int from = w * 1_000;
                writes.add(pool.submit(() -> writer.write(List.of(batch(UUID.randomUUID(), 1,
                        deltas(key(minute, 4, 40 + from / 1_000, 4), new Counts(1, 0, 0, 0)), List.of(reach(40 + from / 1_000, 4, day, from, from + 1_000)))))));
            }
            for (Future<?> f : writes) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long reach = db.reach("reach_campaign_day", "campaign_id = 4");
        assertThat(Math.abs(reach - 8_000) / 8_000.0).as("8,000 users, estimated %d", reach).isLessThan(0.02);
        assertThat(db.reach("reach_banner_day", "campaign_id = 4")).isEqualTo(reach);
    }

    /** A sketch of users "u<from>" .. "u<to - 1>" of a banner's day. */
    private static io.adgrid.grid.reach.ReachSketch reach(long banner, long campaign, long day, int from, int to) {
        org.apache.datasketches.hll.HllSketch s = io.adgrid.grid.reach.Reach.newSketch();
        for (int u = from; u < to; u++) {
            s.update(io.adgrid.grid.reach.Reach.userHash("u" + u));
        }
        return new io.adgrid.grid.reach.ReachSketch(banner, campaign, day, s.toCompactByteArray());
    }

    private static SealedBatch batch(UUID epoch, long seq, CounterDeltas deltas, List<io.adgrid.grid.reach.ReachSketch> reach) {
        return new SealedBatch(epoch.getMostSignificantBits(), epoch.getLeastSignificantBits(), seq, Long.MAX_VALUE, deltas, Watermark.NONE,
                reach);
    }

    @Test
    void migrateRunTwiceIsHarmless() throws Exception {
        CounterKey k = key(minute, 7, 71, 5);
        writer.write(List.of(batch(UUID.randomUUID(), 1, deltas(k, new Counts(3, 2, 1, 10)))));
        long partitions = partitionCount();
        long migrations = db.sqlLong("SELECT count(*) FROM flyway_schema_history WHERE success");

        Database.migrate(db.dataSource());
        Database.migrate(db.dataSource());

        assertThat(rowOf(k)).isEqualTo(new Counts(3, 2, 1, 10));
        assertThat(partitionCount()).isEqualTo(partitions);
        assertThat(migrations).as("every migration applied once at the start").isGreaterThanOrEqualTo(2);
        assertThat(db.sqlLong("SELECT count(*) FROM flyway_schema_history WHERE success")).isEqualTo(migrations);
    }

    @Test
    void revenueMicrosAreExact() throws Exception {
        long dime = new BigDecimal("0.10").movePointRight(6).longValueExact();
        CounterKey k = key(minute, 8, 81, 6);
        UUID epoch = UUID.randomUUID();
        for (int seq = 1; seq <= 3; seq++) {
            writer.write(List.of(batch(epoch, seq, deltas(k, new Counts(0, 0, 1, dime)))));
        }

        assertThat(rowOf(k)).isEqualTo(new Counts(0, 0, 3, 300_000));
        assertThat(db.sqlString("SELECT (sum(revenue_micros)::numeric / 1000000 = 0.30)::text FROM counter_minute"))
                .isEqualTo("true");
    }

    @Test
    void largeBatchesSpanSeveralStatements() throws Exception {
        int rows = CounterWriter.ROWS_PER_STATEMENT * 2 + 17;
        CounterDeltas deltas = new CounterDeltas();
        for (int i = 0; i < rows; i++) {
            deltas.add(key(minute - (i % 60), 9, 1000 + i, 1 + (i % 13)), new Counts(1, i % 2, 0, i));
        }

        CounterWriter.Result r = writer.write(List.of(batch(UUID.randomUUID(), 1, deltas)));

        assertThat(r.rows()).isEqualTo(rows);
        assertThat(db.sqlLong("SELECT count(*) FROM counter_minute")).isEqualTo(rows);
        assertThat(db.counterTotals()).isEqualTo(new Counts(rows, rows / 2, 0, (long) rows * (rows - 1) / 2));
    }

    @Test
    void zeroCountsWriteNoRowButAdvanceTheWatermark() throws Exception {
        UUID epoch = UUID.randomUUID();

        CounterWriter.Result r = writer.write(List.of(batch(epoch, 1, deltas(key(minute, 1, 2, 3), new Counts()))));

        assertThat(r.newBatches()).isEqualTo(1);
        assertThat(r.rows()).isZero();
        assertThat(db.sqlLong("SELECT count(*) FROM counter_minute")).isZero();
        assertThat(watermark(epoch)).isEqualTo(1);
    }

    /**
     * Several write-behinds may write the same sealed batches at once (a flush over all entries and
     * each member's own cycle): every batch must count once, and no writer may fail on a deadlock.
     */
    @Test
    void concurrentWritersOfOverlappingBatchesCountEachOnceAndDoNotDeadlock() throws Exception {
        List<SealedBatch> batches = new ArrayList<>();
        Counts expected = new Counts();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 400; i++) {
            CounterDeltas d = new CounterDeltas();
            for (int j = 0; j < 20; j++) {
                Counts c = new Counts(1 + random.nextInt(5), random.nextInt(2), 0, 0);
                d.add(key(minute - random.nextInt(3), 1, 1 + random.nextInt(60), 1 + random.nextInt(3)), c);
                expected.add(c);
            }
            batches.add(batch(UUID.randomUUID(), 1 + random.nextInt(3), d));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                writers.add(pool.submit(() -> {
                    for (int round = 0; round < 15; round++) {
                        List<SealedBatch> some = new ArrayList<>(batches);
                        Collections.shuffle(some);
                        writer.write(some.subList(0, 50 + ThreadLocalRandom.current().nextInt(300)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        writer.write(batches); // whatever no round happened to pick

        assertThat(db.counterTotals()).isEqualTo(expected);
        assertThat(db.sqlLong("SELECT count(*) FROM flush_watermark")).isEqualTo(batches.size());
    }

    private static CounterKey key(long minute, long campaign, long banner, long publisher) {
        return new CounterKey(minute, campaign, banner, publisher);
    }

    private static CounterDeltas deltas(Object... keysAndCounts) {
        CounterDeltas d = new CounterDeltas();
        for (int i = 0; i < keysAndCounts.length; i += 2) {
            d.add((CounterKey) keysAndCounts[i], (Counts) keysAndCounts[i + 1]);
        }
        return d;
    }

    private static SealedBatch batch(UUID epoch, long seq, CounterDeltas deltas) {
        return batch(epoch, seq, Long.MAX_VALUE, deltas);
    }

    private static SealedBatch batch(UUID epoch, long seq, long cutMinute, CounterDeltas deltas) {
        return new SealedBatch(epoch.getMostSignificantBits(), epoch.getLeastSignificantBits(), seq, cutMinute, deltas);
    }

    private static Watermark watermarkOf(UUID epoch) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            return Watermarks.read(c, List.of(epoch)).get(epoch);
        }
    }

    private static Counts rowOf(CounterKey k) {
        return db.counterTotals("minute = to_timestamp(? * 60) AND banner_id = ? AND publisher_id = ? AND campaign_id = ?",
                k.minute(), k.bannerId(), k.publisherId(), k.campaignId());
    }

    private static long watermark(UUID epoch) {
        return db.sqlLong("SELECT last_seq FROM flush_watermark WHERE epoch = ?", epoch);
    }

    private static boolean partitionExists(String name) {
        return db.sqlString("SELECT to_regclass(?)::text", name) != null;
    }

    private static long partitionCount() {
        return db.sqlLong("SELECT count(*) FROM pg_inherits WHERE inhparent = 'counter_minute'::regclass");
    }
}
