package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.grid.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue "Nothing lost, nothing doubled", fault 5: a three-member cluster cut into 2 + 1 by taking a
 * network link down (the single member runs in its own network namespace), beacons sent to both
 * sides during the split, the link healed. With split-brain protection (min 2 data members) the lone
 * side refuses to count (503 + Retry-After) and its clients retry; every beacon ends counted once.
 */
class NetworkSplitLongIT {

    private static final String TOKEN = "network-split-token";
    private static final int PORT = TestPorts.of(6500);
    /** Fast failure detection and healing, so the test takes a minute, not Hazelcast's default five. */
    private static final List<String> FAST_CLUSTER = List.of("-Dhazelcast.max.no.heartbeat.seconds=15",
            "-Dhazelcast.heartbeat.interval.seconds=1", "-Dhazelcast.merge.first.run.delay.seconds=5",
            "-Dhazelcast.merge.next.run.delay.seconds=3", "-Dhazelcast.mastership.claim.timeout.seconds=10");
    /** Hazelcast's join and merge decisions and its connections (INFO and DEBUG, hidden by the app's WARN default). */
    private static final List<String> MERGE_DIAGNOSTICS = List.of("-Dlogging.level.com.hazelcast.internal.cluster=DEBUG",
            "-Dlogging.level.com.hazelcast.internal.server.tcp=DEBUG");

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<AdGridProcess> processes = new ArrayList<>();
    private final long now = System.currentTimeMillis();
    private final List<String> unanswered = new ArrayList<>();
    private int distinct;

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void theSmallerSideOfASplitRefusesAndNothingIsLostOrDoubledAfterTheHeal() throws Exception {
        Assumptions.assumeTrue(NetworkNamespace.available(), "needs root and iproute2 network namespaces");
        NetworkNamespace ns = NetworkNamespace.create();
        resources.add(ns);
        EmbeddedDatabase database = EmbeddedDatabase.startTemporary();
        resources.add(database);
        TcpForwarder databaseForLoneSide = new TcpForwarder(ns.hostAddress, database.port());
        resources.add(databaseForLoneSide);

        String cluster = "network-split-" + UUID.randomUUID();
        String members = ns.hostAddress + ":" + PORT + "," + ns.hostAddress + ":" + (PORT + 1) + "," + ns.innerAddress + ":" + PORT;
        List<String> grid = List.of("--adgrid.grid.cluster-name=" + cluster, "--adgrid.members=" + members,
                "--adgrid.grid.min-members=2", "--adgrid.admin.token=" + TOKEN);
        int gatewayPort = AdGridProcess.freePort();
        int reportingPort = AdGridProcess.freePort();
        String bigSide = "http://127.0.0.1:" + gatewayPort;
        String reporting = "http://127.0.0.1:" + reportingPort;
        String loneSideFromHere = "http://" + ns.innerAddress + ":18080";

        start(List.of(), ns.hostAddress, "run", grid, "--adgrid.grid.port=" + PORT, "--adgrid.db.url=" + database.settings().url(),
                "--adgrid.gateway.port=" + gatewayPort, "--server.port=" + reportingPort, "--adgrid.demo=true");
        Wait.until("the big side answers", Duration.ofSeconds(120), () -> Probes.status(bigSide + "/healthz") == 200);
        start(List.of(), ns.hostAddress, "node", grid, "--adgrid.grid.port=" + (PORT + 1), "--adgrid.db.url=" + database.settings().url());
        start(ns.launcher(), ns.innerAddress, "run", grid, "--adgrid.grid.port=" + PORT,
                "--adgrid.db.url=jdbc:postgresql://" + ns.hostAddress + ":" + databaseForLoneSide.port() + "/postgres",
                "--adgrid.gateway.port=18080", "--server.port=18081");
        Wait.until("three members", Duration.ofSeconds(120), () -> Probes.dataMembers(reporting) == 3);
        Wait.until("the lone side's gateway answers", Duration.ofSeconds(120), () -> Probes.status(loneSideFromHere + "/healthz") == 200);

        sendUntilCounted(bigSide, 300, "before-big");
        sendUntilCounted(loneSideFromHere, 300, "before-lone");

        long cut = System.nanoTime();
        ns.cut();
        assertThat(connects(ns.innerAddress, PORT)).as("the cut is a partition: this side cannot open a connection to the lone member")
                .isFalse();
        // Until the lone member has noticed it is alone (heartbeat timeout, then its claim to be master),
        // calls to partitions across the cut wait; after that it refuses at once. 20 refusals wanted.
        int loneRefused = 0;
        int loneCounted = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (loneRefused < 20) {
            assertThat(System.nanoTime()).as("the lone side refused 20 beacons within 4 minutes").isLessThan(deadline);
            String beacon = "/i?" + next("split-lone");
            String answer = ns.exec(List.of("curl", "-s", "-o", "/dev/null", "-D", "-", "--max-time", "10", "-A", Beacons.BROWSER,
                    "http://127.0.0.1:18080" + beacon));
            if (answer.startsWith("HTTP/1.1 2")) {
                loneCounted++;
            } else {
                assertThat(answer).as("the lone side refuses with 503 + Retry-After, or does not answer").satisfiesAnyOf(
                        a -> assertThat(a).startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after:"),
                        a -> assertThat(a).isEmpty());
                loneRefused += answer.isEmpty() ? 0 : 1;
                unanswered.add(beacon);
            }
            sendUntilCounted(bigSide, 10, "split-big");
        }
        assertThat(loneCounted).as("beacons the lone side counted while cut off").isZero();
        System.out.printf("network split: the lone side refused %d within %d s of the cut%n", loneRefused,
                Duration.ofNanos(System.nanoTime() - cut).toSeconds());

        long healed = System.nanoTime();
        ns.heal();
        try {
            Wait.until("three members again after the merge", Duration.ofSeconds(180), () -> Probes.dataMembers(reporting) == 3);
        } catch (AssertionError e) {
            threadDumps();
            throw e;
        }
        System.out.printf("network split: merged %d s after the heal%n", Duration.ofNanos(System.nanoTime() - healed).toSeconds());
        for (String beacon : unanswered) {
            resendUntilCounted(bigSide + beacon);
        }
        Wait.until("the lone side counts again", Duration.ofSeconds(60), () -> Probes.status(loneSideFromHere + "/healthz") == 200);
        sendUntilCounted(loneSideFromHere, 100, "after-lone");

        assertThat(Probes.impressions(reporting, "live")).isEqualTo(distinct);
        assertThat(Probes.flush(reporting, TOKEN)).as("admin flush").isEqualTo(200);
        assertThat(Probes.impressions(reporting, "db")).isEqualTo(distinct);
        assertThat(Probes.sqlImpressions(database.settings())).isEqualTo(distinct);
        System.out.printf("network split: %d distinct impressions, %d refused by the lone side and re-sent, 0 lost, 0 doubled%n",
                distinct, unanswered.size());
    }

    private void start(List<String> launcher, String address, String role, List<String> grid, String... flags) throws Exception {
        List<String> all = new ArrayList<>(grid);
        all.addAll(List.of(flags));
        all.add("--adgrid.var-dir=" + TestDirs.temporary("adgrid-split"));
        all.add("--adgrid.grid.interface=" + address);
        List<String> jvm = new ArrayList<>(FAST_CLUSTER);
        jvm.add("-Dhazelcast.local.localAddress=" + address);
        jvm.addAll(MERGE_DIAGNOSTICS);
        AdGridProcess process = AdGridProcess.start(launcher, jvm, role, all);
        resources.add(process);
        processes.add(process);
        System.out.printf("network split: %s at %s logs to %s%n", role, address, process.logFile());
    }

    /** SIGQUIT: each JVM prints its threads into its log, to tell a stuck merge from one never tried. */
    private void threadDumps() {
        for (AdGridProcess p : processes) {
            try {
                new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start().waitFor();
            } catch (Exception e) {
                System.out.println("network split: no thread dump of " + p.logFile() + ": " + e);
            }
        }
    }

    /** Whether a TCP connection to {@code host:port} opens within 5 s (the kernel gives up on ARP after 3). */
    private static boolean connects(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String next(String prefix) {
        int i = distinct++;
        return Beacons.beacon(1 + i % 1000, 1 + i % 100, now, prefix + "-" + i);
    }

    /** New distinct impressions, each re-sent until answered 200 (the contract makes that safe). */
    private void sendUntilCounted(String gateway, int count, String prefix) {
        for (int n = 0; n < count; n++) {
            resendUntilCounted(gateway + "/i?" + next(prefix));
        }
    }

    private void resendUntilCounted(String url) {
        try {
            Wait.until("200 for " + url, Duration.ofSeconds(180), () -> Probes.status(url) == 200);
        } catch (AssertionError e) {
            threadDumps();
            throw e;
        }
    }
}
