package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: a member started with the defaults of {@code ./adgrid run} listens on loopback only, so a
 * stranger on another host (here: another network namespace, one veth link away) that knows the
 * cluster name and the member's address can neither join nor read the map. Before, Hazelcast bound
 * every interface and the stranger joined and read.
 */
class GridBindingIT {

    @Test
    void aForeignMemberOnAnotherHostCannotJoinOrReadADefaultMember() throws Exception {
        Assumptions.assumeTrue(NetworkNamespace.available(), "needs root and iproute2 network namespaces");
        String cluster = "binding-" + UUID.randomUUID();
        int port = AdGridProcess.freePort();
        HazelcastInstance member = GridMember.start(new GridSettings(cluster, List.of("127.0.0.1:" + port), port, false, 271, 0));
        try (NetworkNamespace ns = NetworkNamespace.create()) {
            member.getMap("binding-probe").put("secret", "counted");

            String out = runForeignMember(ns, cluster, ns.hostAddress + ":" + port);

            assertThat(out).as("the foreign member's output").contains("FOREIGN members=1 read=null");
            assertThat(member.getCluster().getMembers()).hasSize(1);
            assertThat(member.getMap("binding-probe").get("secret")).isEqualTo("counted");
        } finally {
            member.getLifecycleService().terminate();
        }
    }

    private static String runForeignMember(NetworkNamespace ns, String cluster, String target) throws Exception {
        List<String> command = new ArrayList<>(ns.launcher());
        command.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ForeignMember.class.getName(),
                cluster, ns.innerAddress, target, "binding-probe", "secret"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the foreign member exits").isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }
}
