package io.adgrid.grid.member;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import org.junit.jupiter.api.Test;

/** How {@link GridMember#config} finds the other members: TCP-IP by default, Kubernetes DNS when asked. */
class GridMemberJoinConfigTest {

    private static final List<String> MEMBERS = List.of("127.0.0.1:5701", "127.0.0.1:5702");

    private static JoinConfig join(GridSettings settings) {
        Config config = GridMember.config(settings);
        return config.getNetworkConfig().getJoin();
    }

    @Test
    void aServiceDnsNameJoinsThroughKubernetesDnsInsteadOfTcpIp() {
        JoinConfig join = join(new GridSettings("adgrid", MEMBERS, 5701, false, 271, 1,
                "adgrid-grid.adgrid.svc.cluster.local"));

        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("adgrid-grid.adgrid.svc.cluster.local");
        assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5701");
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    }

    @Test
    void liteMembersKeepTheServiceDnsName() {
        GridSettings gateway = new GridSettings("adgrid", MEMBERS, 5701, false, 271, 1, "adgrid-grid").asLiteMember();

        assertThat(gateway.liteMember()).isTrue();
        assertThat(join(gateway).getKubernetesConfig().getProperty("service-dns")).isEqualTo("adgrid-grid");
        assertThat(join(gateway).getTcpIpConfig().isEnabled()).isFalse();
    }

    @Test
    void withoutAServiceDnsNameMembersJoinByTcpIpAsBefore() {
        JoinConfig join = join(new GridSettings("adgrid", MEMBERS, 5701, false, 271, 1));

        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).containsExactlyElementsOf(MEMBERS);
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    }

    @Test
    void aBlankServiceDnsNameMeansTcpIp() {
        JoinConfig join = join(new GridSettings("adgrid", MEMBERS, 5701, false, 271, 1, "  "));

        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    }
}
