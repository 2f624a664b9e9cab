package io.adgrid.grid.member;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real members found by Hazelcast's Kubernetes discovery in DNS mode, as in a StatefulSet behind a
 * headless Service. Outside Kubernetes the name {@code localhost} plays the Service: it resolves to
 * the loopback address, where the first member listens on the service port. No TCP-IP member list
 * is given, so the members can only have found each other through the DNS name.
 */
class KubernetesDnsDiscoveryIT {

    private static final int PORT = TestPorts.of(5880);

    private final List<HazelcastInstance> started = new ArrayList<>();

    @AfterEach
    void stopMembers() {
        TestGrid.terminate(started);
    }

    @Test
    void membersAndALiteMemberFindEachOtherThroughTheServiceDnsName() {
        GridSettings settings = new GridSettings(TestGrid.uniqueClusterName(getClass()), List.of(), PORT, false, 31, 1,
                "localhost");

        started.add(GridMember.start(settings));
        started.add(GridMember.start(settings));
        started.add(GridMember.start(settings.asLiteMember()));

        TestGrid.awaitClusterSize(started.get(0), 3, Duration.ofSeconds(60));
        assertThat(started.get(2).getCluster().getMembers()).hasSize(3);
        assertThat(started.get(0).getCluster().getMembers()).filteredOn(m -> m.isLiteMember()).hasSize(1);
    }
}
