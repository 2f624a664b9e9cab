package io.adgrid.reporting.ops;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import io.adgrid.grid.member.MemberSnapshot;
import io.adgrid.grid.member.MeterSample;
import io.adgrid.grid.member.MemberSnapshotTask;
import io.adgrid.grid.port.Counts;
import io.adgrid.grid.journal.RecoveryGate;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.reporting.stats.Dimension;
import io.adgrid.reporting.stats.StatsRow;
import io.adgrid.reporting.stats.Tally;
import io.adgrid.reporting.stats.StatsService;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide view behind the ops dashboard ({@code GET /api/v1/ops/overview}). One reading
 * asks every member for its figures and meters through the grid's executor service, at most once
 * per {@code sampleEvery} however many pages poll; rates come from successive readings and a
 * history of them is kept for the charts. PostgreSQL is checked and the top lists are refreshed in
 * the background, so a dead database never makes the overview itself slow.
 *
 * <p>As a meter binder it publishes {@code adgrid.database.up}: PostgreSQL as this process sees it,
 * checked in the background at most every two seconds while someone reads it.
 */
public final class OpsOverview implements AutoCloseable, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(OpsOverview.class);
    static final String EXECUTOR = "adgrid-ops";

    /**
     * @param lagAlarm      write-behind lag from which the dashboard turns red
     * @param sampleEvery   shortest time between two readings of the cluster
     * @param memberTimeout how long a reading waits for the members' answers
     * @param historySize   readings kept for the charts
     * @param topWindow     the "right now" of the top lists
     */
    public record Settings(Duration lagAlarm, Duration sampleEvery, Duration memberTimeout, int historySize,
                           Duration topWindow, int topLimit) {
        public static Settings defaults(Duration lagAlarm) {
            return new Settings(lagAlarm, Duration.ofMillis(900), Duration.ofMillis(1500), LocalHistory.DEFAULT_SIZE, Duration.ofMinutes(5), 10);
        }
    }

    public record Status(String level, List<String> problems) {
    }

    /** PostgreSQL as the reporting process last saw it: state up, down or unknown (not checked yet). */
    public record Database(String state, String error, long checkedAt, Long downSince) {
    }

    public record MemberView(String uuid, String address, boolean local, boolean lite, List<String> roles,
                             int partitions, long entries, long backupEntries, Long backlogKeys, Long dedupIdentities,
                             Long dedupBytes, long heapUsed, long heapMax, Double lagSeconds, boolean writeBehindFailing) {
    }

    public record Cluster(boolean safe, int partitionCount, List<MemberView> members, Map<String, String> unanswered) {
    }

    /**
     * Cumulative since each process started, summed over the processes alive now. {@code suspectByReason}:
     * clicks counted as suspect, by reason (no_impression, ip_rate, unbound_type), the fraud view;
     * {@code invalidByReason}: impressions and clicks of known robots, by device class (robot, spy, ...).
     */
    public record Totals(Map<String, Long> acceptedByType, long accepted, long duplicates, Map<String, Long> rejectedByReason,
                         long rejected, long flushedRows, long writeFailures, Map<String, Long> suspectByReason,
                         Map<String, Long> invalidByReason) {
    }

    public record WriteBehindView(Double lagSeconds, double lagAlarmSeconds, boolean failing, Long backlogEntries,
                                  Long backlogKeys, Long dedupIdentities, Long dedupBytes) {
    }

    public record GatewayView(Long inFlight, boolean latencyReported, boolean gridBatchReported) {
    }

    public record TopLists(String from, String to, List<StatsRow> campaigns, List<StatsRow> banners, String error, long updatedAt) {
        static TopLists none() {
            return new TopLists(null, null, List.of(), List.of(), null, 0);
        }
    }

    public record Overview(long time, Status status, Database database, Totals totals, OpsPoint now, List<OpsPoint> series,
                           Cluster cluster, WriteBehindView writeBehind, GatewayView gateway, TopLists top, RollupView rollup) {
    }

    /**
     * The rollup job as PostgreSQL's {@code rollup_state} says (null before the first database check):
     * its last run, how far the hour rollup is behind, rows rolled and partitions dropped since the start.
     */
    public record RollupView(Instant lastRun, double lagSeconds, double lagAlarmSeconds, long rowsRolled, long partitionsDropped,
                             Instant hoursUntil, Instant daysUntil) {
        /** The same threshold as the alert AdGridRollupBehind (ops/prometheus/adgrid-rules.yml). */
        static final Duration LAG_ALARM = Duration.ofHours(2);

        static RollupView of(RollupJob.Status s, Instant now) {
            return new RollupView(s.lastRun(), s.lag(now).toMillis() / 1000.0, LAG_ALARM.toSeconds(), s.rowsRolled(),
                    s.partitionsDropped(), s.hoursUntil(), s.daysUntil());
        }

        boolean behind() {
            return lagSeconds > lagAlarmSeconds;
        }
    }

    private final HazelcastInstance grid;
    private final StatsService stats;
    private final DataSource dataSource;
    private final Clock clock;
    private final Settings settings;
    private final ExecutorService background = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "adgrid-ops");
        t.setDaemon(true);
        return t;
    });
    private final Deque<OpsPoint> history = new ArrayDeque<>();
    private ClusterSample last;
    private volatile Database database = new Database("unknown", null, 0, null);
    /** Rows in counter_quarantine at the last database check: refused by PostgreSQL, set aside. */
    private volatile long quarantinedRows;
    private volatile RollupView rollup;
    private final AtomicBoolean checkingDatabase = new AtomicBoolean();
    private final CountDownLatch firstDatabaseCheck = new CountDownLatch(1);
    private volatile TopLists top = TopLists.none();
    private final AtomicBoolean refreshingTop = new AtomicBoolean();

    public OpsOverview(HazelcastInstance grid, StatsService stats, DataSource dataSource, Clock clock, Settings settings) {
        this.grid = grid;
        this.stats = stats;
        this.dataSource = dataSource;
        this.clock = clock;
        this.settings = settings;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("adgrid.database.up", this, OpsOverview::databaseUp).strongReference(true)
                .description("1 when this reporting process reached PostgreSQL at its last check, 0 when it did not")
                .register(registry);
    }

    /**
     * 1 up, 0 down; starts a check when the last one is old. The first scrape waits for the first
     * check (a few seconds at most) rather than answer NaN.
     */
    private double databaseUp() {
        checkDatabaseInBackground(clock.millis());
        if ("unknown".equals(database.state())) {
            try {
                firstDatabaseCheck.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return switch (database.state()) {
            case "up" -> 1;
            case "down" -> 0;
            default -> Double.NaN;
        };
    }

    /** The overview now, with the chart points taken after {@code since} (epoch ms; 0 for the whole history). */
    public synchronized Overview overview(long since) {
        long now = clock.millis();
        checkDatabaseInBackground(now);
        refreshTopInBackground(now);
        if (last == null || now - last.time() >= settings.sampleEvery().toMillis()) {
            if (last == null) {
                history.addAll(membersHistory(now));
            }
            ClusterSample sample = sample();
            OpsPoint point = OpsPoint.between(last, sample);
            boolean first = last == null;
            last = sample;
            if (!first || history.isEmpty()) {
                history.addLast(point); // the first reading has no interval: its rates say nothing after a history
            }
            while (history.size() > settings.historySize()) {
                history.removeFirst();
            }
        }
        List<OpsPoint> series = history.stream().filter(p -> p.t() > since).toList();
        OpsPoint latest = history.peekLast();
        Cluster cluster = cluster(last);
        WriteBehindView writeBehind = writeBehind(last);
        return new Overview(last.time(), status(cluster, writeBehind), database, totals(last), latest, series,
                cluster, writeBehind, gateway(last), top, rollup);
    }

    /**
     * The chart points from before this overview's first reading: every member's {@link LocalHistory},
     * merged second by second. Members that do not answer in time are left out.
     */
    private List<OpsPoint> membersHistory(long now) {
        Map<Long, List<OpsPoint>> bySecond = new TreeMap<>();
        try {
            Map<Member, Future<ArrayList<OpsPoint>>> answers = grid.getExecutorService(EXECUTOR).submitToAllMembers(new MemberHistoryTask());
            long deadline = System.nanoTime() + settings.memberTimeout().toNanos();
            for (Future<ArrayList<OpsPoint>> f : answers.values()) {
                try {
                    List<OpsPoint> before = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).stream()
                            .filter(p -> p.t() < now).toList();
                    OpsPoint.bySecond(before).forEach((second, p) -> bySecond.computeIfAbsent(second, k -> new ArrayList<>()).add(p));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return List.of();
                } catch (Exception e) {
                    f.cancel(true);
                }
            }
        } catch (RuntimeException e) {
            log.debug("no member history: {}", e.toString());
            return List.of();
        }
        List<OpsPoint> merged = new ArrayList<>();
        bySecond.forEach((second, points) -> merged.add(OpsPoint.merge(second * 1000, points)));
        return merged.subList(Math.max(0, merged.size() - settings.historySize()), merged.size());
    }

    private ClusterSample sample() {
        long started = clock.millis();
        List<MemberSnapshot> members = new ArrayList<>();
        Map<String, String> unanswered = new TreeMap<>();
        Map<Member, Future<MemberSnapshotTask.Answer>> answers;
        try {
            answers = grid.getExecutorService(EXECUTOR).submitToAllMembers(new MemberSnapshotTask());
        } catch (RuntimeException e) {
            // The grid is shutting down or unreachable: at least this process can answer.
            members.add(MemberSnapshotTask.snapshot(grid));
            unanswered.put("cluster", e.getMessage());
            return new ClusterSample(started, members, unanswered);
        }
        long deadline = System.nanoTime() + settings.memberTimeout().toNanos();
        for (Map.Entry<Member, Future<MemberSnapshotTask.Answer>> e : answers.entrySet()) {
            try {
                members.add(e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).snapshot());
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                unanswered.put(e.getKey().getAddress().toString(), "interrupted");
            } catch (Exception ex) {
                e.getValue().cancel(true);
                unanswered.put(e.getKey().getAddress().toString(), ex.getClass().getSimpleName());
            }
        }
        members.sort(Comparator.comparing(MemberSnapshot::address));
        return new ClusterSample(started, members, unanswered);
    }

    private Cluster cluster(ClusterSample sample) {
        String localUuid = grid.getCluster().getLocalMember().getUuid().toString();
        List<MemberView> views = new ArrayList<>();
        for (MemberSnapshot m : sample.members()) {
            List<String> roles = new ArrayList<>();
            roles.add(m.lite() ? "lite" : "data");
            if (has(m, "adgrid.gateway.in.flight") || has(m, OpsPoint.EVENTS)) {
                roles.add("gateway");
            }
            if (m.uuid().equals(localUuid)) {
                roles.add("reporting");
            }
            Double lag = gauge(m, OpsPoint.LAG);
            Double failing = gauge(m, "adgrid.writebehind.failing");
            views.add(new MemberView(m.uuid(), m.address(), m.uuid().equals(localUuid), m.lite(), roles, m.partitions(),
                    m.ownedEntries(), m.backupEntries(), asLong(gauge(m, OpsPoint.BACKLOG_KEYS)),
                    asLong(gauge(m, "adgrid.grid.dedup.identities")), asLong(gauge(m, "adgrid.grid.dedup.bytes")),
                    m.heapUsed(), m.heapMax(), lag, failing != null && failing > 0));
        }
        boolean safe;
        try {
            safe = grid.getPartitionService().isClusterSafe();
        } catch (RuntimeException e) {
            safe = false;
        }
        return new Cluster(safe, grid.getPartitionService().getPartitions().size(), views, sample.unanswered());
    }

    private WriteBehindView writeBehind(ClusterSample sample) {
        Double lag = null;
        boolean failing = false;
        Long entries = null;
        Long keys = null;
        Long identities = null;
        Long bytes = null;
        for (MemberSnapshot m : sample.members()) {
            Double l = gauge(m, OpsPoint.LAG);
            if (l != null) {
                lag = lag == null ? l : Math.max(lag, l);
            }
            Double f = gauge(m, "adgrid.writebehind.failing");
            failing |= f != null && f > 0;
            entries = plus(entries, gauge(m, "adgrid.writebehind.backlog.entries"));
            keys = plus(keys, gauge(m, OpsPoint.BACKLOG_KEYS));
            identities = plus(identities, gauge(m, "adgrid.grid.dedup.identities"));
            bytes = plus(bytes, gauge(m, "adgrid.grid.dedup.bytes"));
        }
        return new WriteBehindView(lag, settings.lagAlarm().toMillis() / 1000.0, failing, entries, keys, identities, bytes);
    }

    private static GatewayView gateway(ClusterSample sample) {
        Long inFlight = null;
        boolean latency = false;
        boolean gridBatch = false;
        for (MemberSnapshot m : sample.members()) {
            inFlight = plus(inFlight, gauge(m, "adgrid.gateway.in.flight"));
            latency |= has(m, OpsPoint.LATENCY);
            gridBatch |= has(m, OpsPoint.GRID_BATCH_SIZE) || has(m, OpsPoint.GRID_BATCH_LATENCY);
        }
        return new GatewayView(inFlight, latency, gridBatch);
    }

    private static Totals totals(ClusterSample sample) {
        Map<String, Long> accepted = new TreeMap<>();
        Map<String, Long> rejected = new TreeMap<>();
        Map<String, Long> suspect = new TreeMap<>();
        Map<String, Long> invalid = new TreeMap<>();
        long duplicates = 0;
        long rows = 0;
        long failures = 0;
        for (MemberSnapshot m : sample.members()) {
            for (MeterSample s : m.meters()) {
                switch (s.name()) {
                    case OpsPoint.EVENTS -> {
                        long n = (long) s.count();
                        switch (s.tag("outcome")) {
                            case "accepted" -> accepted.merge(s.tag("type"), n, Long::sum);
                            case "duplicate" -> duplicates += n;
                            case "rejected" -> rejected.merge(s.tag("reason"), n, Long::sum);
                            default -> { }
                        }
                    }
                    case "adgrid.gateway.suspect.clicks" -> suspect.merge(s.tag("reason"), (long) s.count(), Long::sum);
                    case "adgrid.gateway.invalid.events" -> invalid.merge(s.tag("reason"), (long) s.count(), Long::sum);
                    case OpsPoint.WRITE_ROWS -> rows += (long) s.total();
                    case OpsPoint.WRITE_FAILURES -> failures += (long) s.count();
                    default -> { }
                }
            }
        }
        return new Totals(accepted, accepted.values().stream().mapToLong(Long::longValue).sum(), duplicates, rejected,
                rejected.values().stream().mapToLong(Long::longValue).sum(), rows, failures, suspect, invalid);
    }

    private Status status(Cluster cluster, WriteBehindView writeBehind) {
        List<String> red = new ArrayList<>();
        List<String> warn = new ArrayList<>();
        Database db = database;
        if ("down".equals(db.state())) {
            long seconds = db.downSince() == null ? 0 : Math.max(0, (clock.millis() - db.downSince()) / 1000);
            red.add("PostgreSQL unreachable for " + seconds + " s (" + db.error() + "); counts stay in the grid and are written when it is back");
        }
        if (writeBehind.failing()) {
            List<String> where = cluster.members().stream().filter(MemberView::writeBehindFailing).map(MemberView::address).toList();
            red.add("write-behind failing on " + String.join(", ", where));
        }
        if (writeBehind.lagSeconds() != null && writeBehind.lagSeconds() > writeBehind.lagAlarmSeconds()) {
            red.add(String.format(java.util.Locale.ROOT, "write-behind lag %.0f s (alarm at %.0f s)",
                    writeBehind.lagSeconds(), writeBehind.lagAlarmSeconds()));
        }
        if (quarantinedRows > 0) {
            red.add(quarantinedRows + " counter rows quarantined: PostgreSQL refused them (see table counter_quarantine and "
                    + "adgrid_writebehind_quarantined_rows_total); every other key is written");
        }
        String awaiting = awaitingJournals();
        if (awaiting != null && !awaiting.isEmpty()) {
            red.add("recovery stuck or running: the grid counts nothing (gateways answer 503 recovering) until these journals of "
                    + "a dead grid life are replayed: " + awaiting + ". Start the AdGrid process on each, or give a lost one up: "
                    + "./adgrid journal list, ./adgrid journal give-up ID");
        }
        RollupView rolled = rollup;
        if (rolled != null && rolled.behind()) {
            warn.add(String.format(java.util.Locale.ROOT, "rollup %.1f h behind (hours roll about 5 min after they end): reports stay "
                    + "exact, but minute partitions are kept until their hours are rolled", rolled.lagSeconds() / 3600));
        }
        if (!cluster.safe()) {
            warn.add("grid not safe: partitions migrating or backups missing");
        }
        cluster.unanswered().forEach((member, reason) -> warn.add("no answer from " + member + " (" + reason + ")"));
        if (cluster.members().stream().noneMatch(m -> !m.lite())) {
            warn.add("no data member in the cluster: beacons cannot be counted");
        }
        List<String> problems = new ArrayList<>(red);
        problems.addAll(warn);
        return new Status(!red.isEmpty() ? "red" : !warn.isEmpty() ? "warn" : "ok", problems);
    }

    /** The journals of a dead grid life the members await (empty: none), or null when no member answers in time. */
    private String awaitingJournals() {
        try {
            return grid.<String, String>getMap(RecoveryGate.MAP).getAsync(RecoveryGate.AWAITING).toCompletableFuture()
                    .get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    private void checkDatabaseInBackground(long now) {
        if (now - database.checkedAt() < 2_000 || !checkingDatabase.compareAndSet(false, true)) {
            return;
        }
        run(checkingDatabase, () -> {
            long started = clock.millis();
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
                st.setQueryTimeout(2);
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM counter_quarantine")) {
                    quarantinedRows = rs.next() ? rs.getLong(1) : 0;
                }
                RollupJob.Status rolled = RollupJob.status(c);
                rollup = rolled == null ? null : RollupView.of(rolled, clock.instant());
                database = new Database("up", null, clock.millis(), null);
            } catch (SQLException | RuntimeException e) {
                Database before = database;
                Long since = "down".equals(before.state()) ? before.downSince() : Long.valueOf(started);
                database = new Database("down", reason(e), clock.millis(), since);
            } finally {
                checkingDatabase.set(false);
                firstDatabaseCheck.countDown();
            }
        });
    }

    private void refreshTopInBackground(long now) {
        if (now - top.updatedAt() < 2_000 || !refreshingTop.compareAndSet(false, true)) {
            return;
        }
        run(refreshingTop, () -> {
            try {
                top = topLists();
            } catch (RuntimeException e) {
                log.debug("top lists unavailable: {}", e.toString());
                top = new TopLists(null, null, List.of(), List.of(),
                        "down".equals(database.state()) ? "PostgreSQL unreachable" : reason(e), clock.millis());
            } finally {
                refreshingTop.set(false);
            }
        });
    }

    /** Runs a background task, or releases its flag when the overview is closed. */
    private void run(AtomicBoolean running, Runnable task) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException e) {
            running.set(false);
        }
    }

    private TopLists topLists() {
        if ("down".equals(database.state())) {
            return new TopLists(null, null, List.of(), List.of(), "PostgreSQL unreachable", clock.millis());
        }
        Instant to = clock.instant().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
        Instant from = to.minus(settings.topWindow());
        Map<Dimension, Map<Long, Tally>> totals = stats.liveTotalsById(List.of(Dimension.CAMPAIGN, Dimension.BANNER), from, to);
        return new TopLists(from.toString(), to.toString(), top(totals.get(Dimension.CAMPAIGN)), top(totals.get(Dimension.BANNER)),
                null, clock.millis());
    }

    private List<StatsRow> top(Map<Long, Tally> byId) {
        Map<Long, Tally> sorted = new LinkedHashMap<>();
        byId.entrySet().stream()
                .filter(e -> e.getValue().counts().impressions + e.getValue().counts().clicks + e.getValue().counts().conversions
                        + e.getValue().counts().suspectClicks + e.getValue().counts().invalid > 0)
                .sorted(Comparator.<Map.Entry<Long, Tally>>comparingLong(e -> e.getValue().counts().impressions).reversed()
                        .thenComparing(Comparator.<Map.Entry<Long, Tally>>comparingLong(e -> e.getValue().counts().conversions).reversed())
                        .thenComparingLong(Map.Entry::getKey))
                .limit(settings.topLimit())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted.entrySet().stream().map(e -> StatsRow.of(null, e.getKey(), e.getValue())).toList();
    }

    /** The innermost cause's message (the pool's own message wraps the driver's), kept short. */
    static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        message = message.replaceAll("\\s+", " ").trim();
        return message.length() > 160 ? message.substring(0, 157) + "..." : message;
    }

    private static boolean has(MemberSnapshot m, String name) {
        return m.meters().stream().anyMatch(s -> s.name().equals(name));
    }

    /** The sum of a gauge over the member's meters of that name (tags aside); null when it has none. */
    private static Double gauge(MemberSnapshot m, String name) {
        Double out = null;
        for (MeterSample s : m.meters()) {
            if (s.name().equals(name) && s.kind() == MeterSample.Kind.GAUGE && Double.isFinite(s.value())) {
                out = (out == null ? 0 : out) + s.value();
            }
        }
        return out;
    }

    private static Long asLong(Double d) {
        return d == null ? null : Math.round(d);
    }

    private static Long plus(Long a, Double b) {
        if (b == null) {
            return a;
        }
        return (a == null ? 0 : a) + Math.round(b);
    }

    @Override
    public void close() {
        background.shutdownNow();
    }
}
