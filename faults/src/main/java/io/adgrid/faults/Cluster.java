package io.adgrid.faults;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import com.zaxxer.hikari.HikariDataSource;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.schema.Database;

/**
 * A real AdGrid deployment on this machine, one process per role from the executable jar: data
 * members m1..mN (each with its own var and journal directory, the journal on a small tmpfs when
 * the runner may mount one), gateways g1 and g2, reporting r, and a private PostgreSQL. Ports are
 * free ephemeral ones picked at start; the cluster name is {@code faults-<random>}.
 *
 * <p>For a schedule that partitions ({@link Schedule.Nemesis#PARTITION}) every data member runs in
 * its own network namespace from the start ({@link Network}), and the other processes and
 * PostgreSQL listen on the bridge's address; for one that promotes ({@link Schedule.Nemesis#PROMOTE})
 * PostgreSQL has a streaming standby. Otherwise everything is on 127.0.0.1, as before.
 */
final class Cluster implements AutoCloseable {

    static final String TOKEN = "faults-admin-token";
    /** Hazelcast's default is 60 s; a SIGSTOP past it would take a minute of every short run. */
    static final int HEARTBEAT_SECONDS = 15;
    private static final List<String> JVM_FLAGS = List.of("--add-modules", "java.se",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-opens=java.management/sun.management=ALL-UNNAMED", "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-Dhazelcast.phone.home.enabled=false", "-Dchronicle.analytics.disable=true",
            "-Dhazelcast.max.no.heartbeat.seconds=" + HEARTBEAT_SECONDS, "-XX:+ExitOnOutOfMemoryError",
            // Up to 7 JVMs share the box (2 cores here, with other builds): C1 only and one GC thread start them in
            // a fraction of the CPU; the runner checks counts, not speed.
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    final Path work;
    final Postgres postgres;
    /** The members' namespaces, or null when everything runs on 127.0.0.1. */
    final Network network;
    final String clusterName = "faults-" + UUID.randomUUID().toString().substring(0, 8);
    final Map<String, Proc> members = new LinkedHashMap<>();
    final Map<String, Proc> gateways = new LinkedHashMap<>();
    final Map<String, String> gatewayUrls = new LinkedHashMap<>();
    final Map<String, Path> journalRoots = new LinkedHashMap<>();
    final List<Path> tmpfs = new ArrayList<>();
    Proc reporting;
    String reportingUrl;
    /** The jar each process runs, with class data sharing: every kill and restart is a start, and starts are most of the CPU. */
    private final ClassDataSharing.Launch launch;
    private final List<String> extraJvmArgs;
    private final List<String> common;
    private final List<Proc> extras = new ArrayList<>();

    private final Thread cleanUp = new Thread(this::closeQuietly, "faults-clean-up");
    private boolean closed;

    Cluster(Path work, Path jar, int memberCount, List<String> extraJvmArgs) throws Exception {
        this(work, jar, memberCount, extraJvmArgs, false, false);
    }

    /**
     * @param isolated every data member in its own network namespace (PARTITION)
     * @param standby  PostgreSQL with a streaming standby (PROMOTE)
     */
    Cluster(Path work, Path jar, int memberCount, List<String> extraJvmArgs, boolean isolated, boolean standby) throws Exception {
        this.work = work;
        this.extraJvmArgs = extraJvmArgs;
        List<String> memberNames = new ArrayList<>();
        for (int m = 1; m <= memberCount; m++) {
            memberNames.add("m" + m);
        }
        this.network = isolated ? Network.create(memberNames) : null;
        // A runner stopped by a signal still kills its processes and removes its namespaces, servers and mounts.
        Runtime.getRuntime().addShutdownHook(cleanUp);
        String dbHost = isolated ? network.hostAddress : "127.0.0.1";
        try {
            this.launch = ClassDataSharing.launch(jar, baseOptions(), System.out);
            Files.createDirectories(work);
            Postgres.run("chmod", "755", work.toString());
            Files.createDirectories(work.resolve("pg"));
            Postgres.run("chmod", "755", work.resolve("pg").toString());
            postgres = new Postgres(work.resolve("pg"), freePort(), dbHost, standby ? freePort() : 0);
            postgres.init();
            common = setUp(memberCount);
            setUpOthers();
        } catch (Exception | Error e) {
            closeQuietly();
            throw e;
        }
    }

    private List<String> setUp(int memberCount) throws Exception {
        try (HikariDataSource pool = Database.pool(postgres.primarySettings("postgres"), "faults-seed", 2)) {
            Database.migrate(pool);
            DemoCatalog.seedIfEmpty(pool);
        }
        postgres.createDatabase("faults_other");
        List<Integer> memberPorts = new ArrayList<>();
        for (int m = 0; m < memberCount; m++) {
            memberPorts.add(freePort());
        }
        List<String> memberAddresses = new ArrayList<>();
        for (int m = 1; m <= memberCount; m++) {
            memberAddresses.add((network == null ? "127.0.0.1" : network.address("m" + m)) + ":" + memberPorts.get(m - 1));
        }
        List<String> base = List.of("--adgrid.db.url=" + postgres.settings("postgres").url(), "--adgrid.db.password=" + Postgres.PASSWORD,
                "--adgrid.grid.cluster-name=" + clusterName,
                "--adgrid.members=" + String.join(",", memberAddresses),
                "--adgrid.ops.metrics-port=0", "--adgrid.fraud.max-clicks-per-ip-per-minute=0",
                // As docs/CONFIGURATION.md tells a cluster of N members to run: a majority, so a side of a split never counts.
                "--adgrid.grid.min-members=" + (memberCount / 2 + 1));
        for (int m = 1; m <= memberCount; m++) {
            String name = "m" + m;
            Path journal = work.resolve(name).resolve("journal");
            Files.createDirectories(journal);
            if (mountTmpfs(journal)) {
                tmpfs.add(journal);
            }
            journalRoots.put(name, journal);
            List<String> launcher = network == null ? List.of() : network.launcher(name);
            String address = network == null ? null : network.address(name);
            members.put(name, new Proc(name, command(launcher, address, "node", List.of("--adgrid.grid.port=" + memberPorts.get(m - 1),
                    "--adgrid.var-dir=" + work.resolve(name).resolve("var"), "--adgrid.journal.dir=" + journal), base),
                    work.resolve(name + ".log")));
        }
        return base;
    }

    /** The gateways and reporting, built once {@code common} is set. */
    private void setUpOthers() throws IOException {
        for (int g = 1; g <= 2; g++) {
            gateway("g" + g);
        }
        reporting();
    }

    /** (Re)builds gateway slot {@code name} on fresh free ports. */
    private void gateway(String name) throws IOException {
        int http = freePort();
        gateways.put(name, proc(name, "gateway", List.of("--adgrid.grid.port=" + freePort(), "--adgrid.gateway.port=" + http,
                "--adgrid.var-dir=" + work.resolve(name).resolve("var"))));
        gatewayUrls.put(name, "http://127.0.0.1:" + http);
    }

    /** (Re)builds the reporting slot on fresh free ports. */
    private void reporting() throws IOException {
        int reportingPort = freePort();
        reporting = proc("r", "reporting", List.of("--adgrid.grid.port=" + freePort(), "--server.port=" + reportingPort,
                "--adgrid.admin.token=" + TOKEN, "--adgrid.var-dir=" + work.resolve("r").resolve("var")));
        reportingUrl = "http://127.0.0.1:" + reportingPort;
    }

    /**
     * A gateway or reporting process that exited during the cluster's start (in a seed-3 run its
     * free port had been taken meanwhile: "Address already in use") is started again on new ports,
     * at most three times each, instead of the run waiting for it until it times out.
     */
    private void restartExitedAtStart(Map<String, Integer> restarts) {
        try {
            for (String name : List.copyOf(gateways.keySet())) {
                if (!gateways.get(name).alive() && restarts.merge(name, 1, Integer::sum) <= 3) {
                    System.out.println("faults: " + name + " exited during the start; starting it again on new ports");
                    gateway(name);
                    gateways.get(name).start();
                }
            }
            if (!reporting.alive() && restarts.merge("r", 1, Integer::sum) <= 3) {
                System.out.println("faults: r exited during the start; starting it again on new ports");
                reporting();
                reporting.start();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Proc proc(String name, String role, List<String> flags) throws IOException {
        return new Proc(name, command(role, flags, common), work.resolve(name + ".log"));
    }

    /** A process on this host: on the bridge's address when the members run in namespaces, else 127.0.0.1. */
    private List<String> command(String role, List<String> flags, List<String> base) {
        return command(List.of(), network == null ? null : network.hostAddress, role, flags, base);
    }

    /** {@code launcher} runs it elsewhere (a member's namespace); {@code address}, when given, is the one its grid binds. */
    private List<String> command(List<String> launcher, String address, String role, List<String> flags, List<String> base) {
        List<String> c = new ArrayList<>(launcher);
        c.add(ClassDataSharing.java());
        c.addAll(baseOptions());
        if (address != null) {
            c.add("-Dhazelcast.local.localAddress=" + address);
        }
        c.addAll(launch.jvmOptions());
        c.add("-Djna.tmpdir=" + work.resolve("tmp"));
        c.add("-Djava.util.prefs.userRoot=" + work.resolve("tmp"));
        // Every journal directory a member deletes (after a replay, a sweep) is kept here, to trace anomalies.
        c.add("-Dadgrid.test.keep-deleted-journals=" + work.resolve("journal-deleted"));
        c.addAll(extraJvmArgs);
        c.addAll(List.of("-jar", launch.jar().toString(), role));
        c.addAll(base);
        c.addAll(flags);
        if (address != null) {
            c.add("--adgrid.grid.interface=" + address);
        }
        return c;
    }

    private static List<String> baseOptions() {
        List<String> options = new ArrayList<>(List.of("-Xmx384m"));
        options.addAll(JVM_FLAGS);
        return options;
    }

    /** Starts everything and waits until every member sees all, both gateways answer /healthz 200 and reporting answers. */
    void start(Duration timeout) throws Exception {
        for (Proc m : members.values()) {
            m.start();
        }
        // A data member that exits while the cluster starts (a setting refused, say) fails the run at once.
        await("every data member sees " + members.size(), timeout, () -> {
            for (Proc m : members.values()) {
                if (!m.alive()) {
                    throw new IllegalStateException(m.name + " exited during the cluster's start (" + m.exitStatus() + "): "
                            + m.lastLine());
                }
            }
            return members.values().stream().allMatch(m -> m.dataMembersSeen() == members.size());
        });
        for (Proc g : gateways.values()) {
            g.start();
        }
        reporting.start();
        Map<String, Integer> restarts = new java.util.HashMap<>();
        await("both gateways answer /healthz 200 and reporting answers", timeout, () -> {
            restartExitedAtStart(restarts);
            return gatewayUrls.values().stream().allMatch(g -> status(g + "/healthz") == 200)
                    && status(reportingUrl + "/api/v1/stats?from=2000-01-01&to=2100-01-01&source=live") == 200;
        });
    }

    void awaitMembers(Duration timeout) throws InterruptedException {
        await("every data member sees " + members.size(), timeout,
                () -> members.values().stream().allMatch(m -> m.alive() && m.dataMembersSeen() == members.size()));
    }

    void awaitReady(Duration timeout) throws InterruptedException {
        awaitMembers(timeout);
        await("both gateways answer /healthz 200 and reporting answers", timeout,
                () -> gatewayUrls.values().stream().allMatch(g -> status(g + "/healthz") == 200)
                        && status(reportingUrl + "/api/v1/stats?from=2000-01-01&to=2100-01-01&source=live") == 200);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting until " + what);
            }
            Thread.sleep(500);
        }
    }

    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    Proc proc(String name) {
        return members.containsKey(name) ? members.get(name) : gateways.get(name);
    }

    /** An extra data member of this cluster on the journal root of {@code member} (START_FAILS). */
    Proc extraMember(String member) throws IOException {
        Proc p = new Proc("x", command("node", List.of("--adgrid.grid.port=" + freePort(),
                "--adgrid.var-dir=" + work.resolve("x").resolve("var"), "--adgrid.journal.dir=" + journalRoots.get(member)), common),
                work.resolve("x.log"));
        extras.add(p);
        return p;
    }

    /** A whole other deployment (own database, own cluster, own ports) on the journal root of {@code member}. */
    Proc otherDeployment(String member) throws IOException {
        int port = freePort();
        List<String> other = List.of("--adgrid.db.url=" + postgres.settings("faults_other").url(), "--adgrid.db.password=" + Postgres.PASSWORD,
                "--adgrid.grid.cluster-name=" + clusterName + "-other", "--adgrid.members=127.0.0.1:" + port,
                "--adgrid.ops.metrics-port=0", "--adgrid.grid.port=" + port, "--adgrid.gateway.port=" + freePort(),
                "--server.port=" + freePort(), "--adgrid.var-dir=" + work.resolve("other").resolve("var"),
                "--adgrid.journal.dir=" + journalRoots.get(member));
        // On 127.0.0.1 even when the members run in namespaces: a cluster of its own, which must not find this one.
        Proc p = new Proc("other", command(List.of(), null, "run", List.of(), other), work.resolve("other.log"));
        extras.add(p);
        return p;
    }

    private static boolean mountTmpfs(Path dir) {
        if (!"root".equals(System.getProperty("user.name")) || System.getenv("ADGRID_FAULTS_NO_TMPFS") != null) {
            return false;
        }
        try {
            Postgres.run("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", dir.toString());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    List<Proc> all() {
        List<Proc> all = new ArrayList<>(members.values());
        all.addAll(gateways.values());
        if (reporting != null) {
            all.add(reporting);
        }
        all.addAll(extras);
        return all;
    }

    /** Heals every partition (the runner's heal); nothing when the members do not run in namespaces. */
    void healNetwork() {
        if (network != null) {
            network.healAll();
        }
    }

    @Override
    public void close() throws Exception {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanUp);
        } catch (IllegalStateException e) {
            // shutting down already: the hook runs (or ran) this
        }
    }

    /** Processes killed, PostgreSQL stopped (primary and standby), namespaces and bridge removed, journals copied aside and tmpfs unmounted; once. */
    private synchronized void closeQuietly() {
        if (closed) {
            return;
        }
        closed = true;
        for (Proc p : all()) {
            try {
                p.kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (postgres != null) {
            postgres.stopAll();
        }
        if (network != null) {
            network.close();
        }
        for (Path t : tmpfs) {
            try {
                // The journals as the processes left them, for the analysis of an anomaly (the tmpfs goes with the unmount).
                Postgres.run("cp", "-a", t.toString(), t.resolveSibling("journal-kept").toString());
                Postgres.run("umount", "-l", t.toString());
            } catch (Exception e) {
                System.err.println("faults: umount " + t + " failed: " + e.getMessage());
            }
        }
    }
}
