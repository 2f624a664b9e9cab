package io.adgrid.app.health;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Whether this process's side of the grid may count: its member runs and sees at least
 * {@code adgrid.grid.min-members} data members (the split-brain protection refuses writes below that).
 */
public final class GridQuorumHealth implements HealthIndicator {

    private final HazelcastInstance grid;
    private final int minMembers;

    public GridQuorumHealth(HazelcastInstance grid, int minMembers) {
        this.grid = grid;
        this.minMembers = Math.max(1, minMembers);
    }

    @Override
    public Health health() {
        if (!grid.getLifecycleService().isRunning()) {
            return Health.down().withDetail("reason", "the grid member is not running").build();
        }
        long data = grid.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count();
        Health.Builder health = data >= minMembers ? Health.up()
                : Health.down().withDetail("reason", "sees " + data + " data member(s), needs " + minMembers + " to count");
        return health.withDetail("dataMembers", data).withDetail("minMembers", minMembers)
                .withDetail("members", grid.getCluster().getMembers().stream().map(Member::getAddress).map(Object::toString).toList())
                .build();
    }
}
