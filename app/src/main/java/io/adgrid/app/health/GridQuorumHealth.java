package io.adgrid.app.health;

import io.adgrid.grid.member.DataMembersAtLeast;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Whether this process's side of the grid may count: its member runs and sees at least
 * {@code adgrid.grid.min-members} voting data members (the split-brain protection refuses writes below
 * that; see {@link DataMembersAtLeast} for who votes).
 */
public final class GridQuorumHealth implements HealthIndicator {

    private final HazelcastInstance grid;
    private final DataMembersAtLeast quorum;

    public GridQuorumHealth(HazelcastInstance grid, DataMembersAtLeast quorum) {
        this.grid = grid;
        this.quorum = quorum;
    }

    @Override
    public Health health() {
        if (!grid.getLifecycleService().isRunning()) {
            return Health.down().withDetail("reason", "the grid member is not running").build();
        }
        var members = grid.getCluster().getMembers();
        long voters = quorum.voters(members);
        Health.Builder health = voters >= quorum.minimum() ? Health.up()
                : Health.down().withDetail("reason", "sees " + voters + " voting data member(s), needs " + quorum.minimum() + " to count");
        return health.withDetail("dataMembers", members.stream().filter(m -> !m.isLiteMember()).count())
                .withDetail("votingDataMembers", voters).withDetail("minMembers", quorum.minimum())
                .withDetail("members", grid.getCluster().getMembers().stream().map(Member::getAddress).map(Object::toString).toList())
                .build();
    }
}
