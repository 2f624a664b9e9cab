package io.adgrid.faults;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.schema.Database;

/**
 * {@code ./adgrid faults --seed S --minutes M}: starts a real AdGrid cluster on this machine, runs
 * retrying clients against it while the seed's {@link Schedule} of faults plays, heals every
 * fault, lets the clients finish, and checks the {@link History} against the totals live, after an
 * admin flush and in SQL ({@link Checker}). Exit code 0 when the history is legal, 1 with the
 * anomalies otherwise, 2 when the run itself could not be done.
 */
public final class FaultRunner {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** What a run is given. {@code jvmArgs} go to every AdGrid process (the planted-bug test sets a flag this way). */
    record Options(long seed, int minutes, int members, Set<Schedule.Nemesis> nemeses, int clients, Path jar, Path work,
                   List<String> jvmArgs, boolean keep) {
    }

    record Result(Schedule schedule, long events, long requests, Map<Checker.Fate, Long> fates, List<Checker.Anomaly> anomalies,
                  String report, Path history) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                usage("unexpected " + arg);
            }
            String name = arg.substring(2);
            String value = name.contains("=") ? name.substring(name.indexOf('=') + 1) : (i + 1 < args.length ? args[++i] : "");
            a.put(name.contains("=") ? name.substring(0, name.indexOf('=')) : name, value);
        }
        if (a.containsKey("help")) {
            System.out.println(usageText());
            System.exit(0);
        }
        if (a.containsKey("check")) {
            usage("--check needs a run's totals, which the history file does not hold; run again with the same seed");
        }
        long seed = a.containsKey("seed") ? Long.parseLong(a.get("seed")) : System.nanoTime() % 100_000;
        int minutes = Integer.parseInt(a.getOrDefault("minutes", "2"));
        int members = Integer.parseInt(a.getOrDefault("members", Long.toString(3 + Math.floorMod(seed, 2))));
        Options o = new Options(seed, minutes, members, Schedule.parse(a.get("nemeses")), Integer.parseInt(a.getOrDefault("clients", "4")),
                Path.of(a.getOrDefault("jar", "app/target/adgrid-exec.jar")),
                a.containsKey("work") ? Path.of(a.get("work")) : Files.createTempDirectory("adgrid-faults-" + seed + "-"),
                a.containsKey("jvm-arg") ? List.of(a.get("jvm-arg")) : List.of(), a.containsKey("keep") || a.containsKey("work"));
        if (a.containsKey("dry-run")) {
            System.out.println(Schedule.draw(o.seed(), o.minutes(), o.members(), o.nemeses()));
            return;
        }
        Result r;
        try {
            r = run(o, System.out);
        } catch (Exception e) {
            System.err.println("faults: the run failed before its check (seed " + seed + "): " + e);
            e.printStackTrace();
            System.exit(2);
            return;
        }
        System.exit(r.anomalies().isEmpty() ? 0 : 1);
    }

    private static void usage(String why) {
        System.err.println("faults: " + why + "\n" + usageText());
        System.exit(2);
    }

    private static String usageText() {
        return ("usage: ./adgrid faults [--seed S] [--minutes M] [--members 3|4] [--clients N]"
                + " [--nemeses kill,pause,...|all] [--work DIR] [--keep] [--dry-run]\n(a clean run's temporary directory is deleted; --keep, or --work, keeps it)\nnemeses:\n" + java.util.Arrays.stream(Schedule.Nemesis.values())
                .map(n -> String.format("  %-19s %s", n.name().toLowerCase().replace('_', '-'), n.what)).collect(java.util.stream.Collectors.joining("\n")))
                + "\n  (partition runs every data member in a network namespace, promote gives PostgreSQL a streaming standby;"
                + " both need root)";
    }

    static Result run(Options o, java.io.PrintStream out) throws Exception {
        if (!Files.exists(o.jar())) {
            throw new IllegalStateException("no " + o.jar().toAbsolutePath() + ": build it first (mvn -pl app -am package -DskipTests)");
        }
        if (!Postgres.available()) {
            throw new IllegalStateException("no PostgreSQL binaries at " + Postgres.BIN + " (set ADGRID_FAULTS_PGBIN)");
        }
        Schedule schedule = Schedule.draw(o.seed(), o.minutes(), o.members(), o.nemeses());
        out.println(schedule);
        Tools.ensureFor(schedule, out);
        Path historyFile = o.work().resolve("history.jsonl");
        Files.createDirectories(o.work());
        long started = System.nanoTime();
        Result result;
        try (History history = new History(historyFile); Cluster cluster = new Cluster(o.work(), o.jar().toAbsolutePath(), o.members(), o.jvmArgs(),
                     schedule.nemesesUsed().contains(Schedule.Nemesis.PARTITION), schedule.nemesesUsed().contains(Schedule.Nemesis.PROMOTE))) {
            history.note("schedule", schedule.toString());
            out.printf("faults: cluster %s in %s, PostgreSQL on %d%n", cluster.clusterName, o.work(), cluster.postgres.port);
            cluster.start(Duration.ofSeconds(Long.getLong("faults.start-timeout", 900)));
            out.printf("faults: cluster up after %.0f s; load and faults for %d min%n", (System.nanoTime() - started) / 1e9, o.minutes());
            Workload load = new Workload(List.copyOf(cluster.gatewayUrls.values()), history, o.seed(), o.clients(), "f" + Long.toHexString(o.seed())
                    + "x" + Long.toHexString(System.currentTimeMillis() % 0xFFFFFF));
            List<Checker.Anomaly> runAnomalies = new ArrayList<>();
            Map<String, ReentrantLock> locks = locks(cluster);
            // Through the schedule and the heal: a process may exit on its own at any time (a start that timed out).
            java.util.concurrent.ScheduledExecutorService supervisor = Executors.newSingleThreadScheduledExecutor();
            supervisor.scheduleWithFixedDelay(() -> supervise(cluster, locks, history, out), 3, 3, TimeUnit.SECONDS);
            try {
                play(schedule, cluster, locks, history, out);
                out.println("faults: schedule over, healing");
                if (!heal(cluster, history, out)) {
                    runAnomalies.add(new Checker.Anomaly("STUCK", "cluster", "not ready within 900 s of healing every fault: "
                            + readiness(cluster), List.of()));
                }
                load.stop(Duration.ofSeconds(120));
            } finally {
                supervisor.shutdownNow();
                supervisor.awaitTermination(1, TimeUnit.MINUTES);
                load.abandon();
            }
            history.flush();
            Checker checker = new Checker(history.events(), history.attempts());
            List<Checker.Anomaly> anomalies = new ArrayList<>(runAnomalies);
            Checker.Observed observed = observe(cluster, anomalies);
            anomalies.addAll(checker.check(observed));
            String report = report(o, schedule, checker, history, load, anomalies, (System.nanoTime() - started) / 1e9);
            history.note("verdict", report);
            Files.write(o.work().resolve("anomalies.txt"), anomalies.stream().map(Checker.Anomaly::toString).toList());
            out.println(report);
            if (!anomalies.isEmpty() || o.keep()) {
                out.println("faults: logs and history kept in " + o.work());
            }
            result = new Result(schedule, history.events().size(), load.requests(), checker.fates(), anomalies, report, historyFile);
        }
        if (result.anomalies().isEmpty() && !o.keep()) {
            // A clean run's processes are gone (the cluster is closed): its 400 MB of var dirs, logs and PostgreSQL go too.
            ClassDataSharing.deleteQuietly(o.work());
        }
        return result;
    }

    /** Runs every step at its time, each in its own thread; a step waits for a process another step still holds. */
    /** One lock per process a step may hold, so that overlapping steps never act on the same one. */
    private static Map<String, ReentrantLock> locks(Cluster cluster) {
        Map<String, ReentrantLock> locks = new TreeMap<>();
        for (String name : List.of("pg", "x", "other")) {
            locks.put(name, new ReentrantLock());
        }
        cluster.members.keySet().forEach(m -> locks.put(m, new ReentrantLock()));
        cluster.gateways.keySet().forEach(g -> locks.put(g, new ReentrantLock()));
        return locks;
    }

    private static void play(Schedule schedule, Cluster cluster, Map<String, ReentrantLock> locks, History history,
                             java.io.PrintStream out) throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        long t0 = System.nanoTime();
        List<Future<?>> steps = new ArrayList<>();
        for (Schedule.Step step : schedule.steps()) {
            steps.add(threads.submit(() -> {
                long wait = TimeUnit.SECONDS.toNanos(step.atSecond()) - (System.nanoTime() - t0);
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                List<ReentrantLock> held = new ArrayList<>();
                for (String target : new java.util.TreeSet<>(step.targets())) {
                    boolean rootOnly = target.startsWith("m") && (step.nemesis() == Schedule.Nemesis.START_FAILS
                            || step.nemesis() == Schedule.Nemesis.SHARED_JOURNAL_ROOT);
                    if (!rootOnly) {
                        ReentrantLock l = locks.get(target);
                        l.lock();
                        held.add(l);
                    }
                }
                long began = System.nanoTime();
                String note = String.format("t+%.0fs %s", (began - t0) / 1e9, step);
                out.println("faults: " + note);
                history.note("step", note);
                try {
                    Nemeses.run(step, cluster, out);
                } catch (Exception e) {
                    out.println("faults: step " + step + " failed: " + e);
                    history.note("step-failed", step + ": " + e);
                } finally {
                    held.forEach(ReentrantLock::unlock);
                }
                return null;
            }));
        }
        long end = TimeUnit.SECONDS.toNanos(schedule.minutes() * 60L);
        long left = end - (System.nanoTime() - t0);
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
        for (Future<?> f : steps) {
            f.get(10, TimeUnit.MINUTES);
        }
        threads.shutdown();
    }

    /**
     * Starts again a member or gateway that exited on its own, outside any step (a start that met
     * PostgreSQL stopped, a member whose grid life was ended), as Kubernetes or systemd would. A
     * process a step holds (killed, restarting, with a skewed clock) is the step's to start.
     */
    private static void supervise(Cluster cluster, Map<String, ReentrantLock> locks, History history, java.io.PrintStream out) {
        Map<String, Proc> slots = new java.util.LinkedHashMap<>(cluster.members);
        slots.putAll(cluster.gateways);
        slots.forEach((name, p) -> {
            ReentrantLock lock = locks.get(name);
            if (p.alive() || !lock.tryLock()) {
                return;
            }
            try {
                if (!p.alive()) {
                    String note = name + " exited on its own (" + p.exitStatus() + "); started again, as a supervisor would";
                    out.println("faults: " + note);
                    history.note("supervisor", note);
                    p.start();
                }
            } catch (Exception e) {
                out.println("faults: supervisor could not start " + name + ": " + e);
            } finally {
                lock.unlock();
            }
        });
    }

    /** Every fault healed: links up, processes resumed, PostgreSQL up (the promoted one, after PROMOTE), disks freed, extras gone, every slot running normally. */
    private static boolean heal(Cluster cluster, History history, java.io.PrintStream out) throws Exception {
        cluster.healNetwork();
        for (Proc p : cluster.all()) {
            p.resume();
        }
        if (!cluster.postgres.running()) {
            cluster.postgres.start();
        }
        Nemeses.freeDisks(cluster);
        for (Proc p : cluster.all()) {
            if (p.name.equals("x") || p.name.equals("other")) {
                p.terminate(30);
            }
        }
        for (Proc p : cluster.all()) {
            if (!p.alive() && !p.name.equals("x") && !p.name.equals("other")) {
                out.println("faults: heal: starting " + p.name);
                p.start();
            }
        }
        try {
            cluster.awaitReady(Duration.ofSeconds(900));
            history.note("healed", "ready");
            return true;
        } catch (IllegalStateException e) {
            out.println("faults: " + e.getMessage() + "; " + readiness(cluster));
            return false;
        }
    }

    private static String readiness(Cluster cluster) {
        StringBuilder sb = new StringBuilder();
        cluster.members.forEach((n, p) -> sb.append(n).append(p.alive() ? " sees " + p.dataMembersSeen() : " dead").append("; "));
        cluster.gatewayUrls.forEach((n, u) -> sb.append(n).append(" /healthz ").append(Cluster.status(u + "/healthz")).append("; "));
        return sb.toString();
    }

    /** The totals, live, after an admin flush (reporting, source=db) and in SQL. */
    private static Checker.Observed observe(Cluster cluster, List<Checker.Anomaly> anomalies) throws Exception {
        Map<Long, Totals> live = byCampaign(cluster.reportingUrl, "live", anomalies);
        int flush = -1;
        for (int i = 0; i < 10 && flush != 200; i++) {
            flush = flush(cluster.reportingUrl);
            if (flush != 200) {
                Thread.sleep(3000);
            }
        }
        if (flush != 200) {
            anomalies.add(new Checker.Anomaly("FLUSH_FAILED", "reporting", "admin flush answered " + flush, List.of()));
        }
        Map<Long, Totals> flushed = byCampaign(cluster.reportingUrl, "db", anomalies);
        Map<Long, Totals> sqlByCampaign = new TreeMap<>();
        Map<Event.Key, Totals> sqlByKey = new HashMap<>();
        // Whichever server is primary now: the standby, if the schedule promoted it.
        if (!"f".equals(cluster.postgres.query("SELECT pg_is_in_recovery()"))) {
            anomalies.add(new Checker.Anomaly("SQL_NOT_PRIMARY", "postgres", "the server on port " + cluster.postgres.port
                    + " is not a primary (or does not answer); its totals may lag", List.of()));
        }
        try (HikariDataSource ds = Database.pool(cluster.postgres.primarySettings("postgres"), "faults-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT campaign_id, banner_id, publisher_id, sum(impressions), sum(clicks), sum(suspect_clicks),"
                     + " sum(conversions), sum(revenue_micros) FROM counter_minute GROUP BY 1, 2, 3")) {
            while (rs.next()) {
                Totals t = new Totals(rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8));
                sqlByCampaign.merge(rs.getLong(1), t, Totals::plus);
                sqlByKey.merge(new Event.Key(rs.getLong(2), rs.getLong(3)), t, Totals::plus);
            }
        }
        return new Checker.Observed(live, flushed, sqlByCampaign, sqlByKey);
    }

    private static Map<Long, Totals> byCampaign(String reporting, String source, List<Checker.Anomaly> anomalies) throws InterruptedException {
        Map<Long, Totals> out = new TreeMap<>();
        for (long campaign = 1; campaign <= DemoCatalog.CAMPAIGNS; campaign++) {
            JsonNode rows = null;
            for (int attempt = 0; attempt < 10 && rows == null; attempt++) {
                try {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(reporting + "/api/v1/stats?campaign=" + campaign
                            + "&from=2000-01-01&to=2100-01-01&source=" + source)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        rows = JSON.readTree(r.body()).get("rows");
                    }
                } catch (IOException e) {
                    // retried below
                }
                if (rows == null) {
                    Thread.sleep(2000);
                }
            }
            if (rows == null) {
                anomalies.add(new Checker.Anomaly("REPORT_FAILED", "campaign " + campaign, "no stats from reporting (" + source + ")", List.of()));
                continue;
            }
            Totals t = Totals.ZERO;
            for (JsonNode row : rows) {
                t = t.plus(new Totals(row.get("impressions").asLong(), row.get("clicks").asLong(), row.get("suspect_clicks").asLong(),
                        row.get("conversions").asLong(), new BigDecimal(row.get("revenue").asText()).movePointRight(6).longValueExact()));
            }
            out.put(campaign, t);
        }
        return out;
    }

    private static int flush(String reporting) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(reporting + "/api/v1/admin/flush")).timeout(Duration.ofSeconds(120))
                    .header("Authorization", "Bearer " + Cluster.TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    private static String report(Options o, Schedule schedule, Checker checker, History history, Workload load,
                                 List<Checker.Anomaly> anomalies, double seconds) {
        StringBuilder sb = new StringBuilder();
        Map<Event.Kind, Long> kinds = new TreeMap<>();
        history.events().forEach(e -> kinds.merge(e.kind(), 1L, Long::sum));
        sb.append(String.format("=== faults: seed %d, %d min, %d data members, %s ===%n", o.seed(), o.minutes(), o.members(),
                anomalies.isEmpty() ? "0 anomalies" : anomalies.size() + " ANOMALIES"));
        sb.append(schedule).append('\n');
        sb.append(String.format("events %d %s; fates %s; requests %d, statuses %s; %.0f s in all%n", history.events().size(), kinds,
                checker.fates(), load.requests(), load.statuses(), seconds));
        sb.append(String.format("replay: ./adgrid faults --seed %d --minutes %d --members %d%s%n", o.seed(), o.minutes(), o.members(),
                o.nemeses().size() == Schedule.Nemesis.values().length ? "" : " --nemeses " + String.join(",",
                        o.nemeses().stream().map(Enum::name).toList())));
        if (!anomalies.isEmpty()) {
            Map<String, Long> byKind = new TreeMap<>();
            anomalies.forEach(a -> byKind.merge(a.kind(), 1L, Long::sum));
            sb.append("anomalies by kind ").append(byKind).append(" (all of them in anomalies.txt)\n");
        }
        Set<String> offenders = new LinkedHashSet<>();
        int shown = 0;
        for (Checker.Anomaly a : anomalies) {
            if (shown++ < 30) {
                sb.append("  ").append(a).append('\n');
            }
            if (offenders.size() < 6) {
                a.eventIds().stream().limit(3).forEach(offenders::add);
            }
        }
        if (anomalies.size() > 30) {
            sb.append("  … ").append(anomalies.size() - 30).append(" more\n");
        }
        if (!offenders.isEmpty()) {
            sb.append("first offending events (from the history):\n");
            for (String id : offenders) {
                sb.append("  ").append(checker.describe(id)).append('\n');
            }
        }
        return sb.toString();
    }
}
