package io.adgrid.app.health;

import io.adgrid.grid.journal.RecoveryGate;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * No journal recovery pending: the data members have replayed the journals of an earlier life of
 * the grid (until then gateways refuse beacons with 503 and totals may miss what is being replayed).
 */
public final class RecoveryHealth implements HealthIndicator {

    private final HazelcastInstance grid;

    public RecoveryHealth(HazelcastInstance grid) {
        this.grid = grid;
    }

    @Override
    public Health health() {
        String awaiting;
        try {
            awaiting = grid.<String, String>getMap(RecoveryGate.MAP).get(RecoveryGate.AWAITING);
        } catch (RuntimeException e) {
            return Health.down().withDetail("reason", "cannot read the recovery state from the grid: " + e.getMessage()).build();
        }
        if (awaiting == null) {
            return Health.down().withDetail("reason", "no data member has published the recovery state yet").build();
        }
        if (!awaiting.isEmpty()) {
            return Health.down().withDetail("reason", "replaying journals of an earlier life of the grid")
                    .withDetail("awaiting", awaiting).build();
        }
        return Health.up().build();
    }
}
