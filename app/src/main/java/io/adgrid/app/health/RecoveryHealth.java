package io.adgrid.app.health;

import java.util.concurrent.TimeUnit;
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
            // Bounded: a grid with no data member answering must not hang the probe.
            awaiting = grid.<String, String>getMap(RecoveryGate.MAP).getAsync(RecoveryGate.AWAITING).toCompletableFuture()
                    .get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().build();
        } catch (Exception e) {
            return Health.down().withDetail("reason", "no data member answered: " + e.getClass().getSimpleName()).build();
        }
        if (awaiting == null) {
            return Health.down().withDetail("reason", "no data member has published the recovery state yet").build();
        }
        return awaiting.isEmpty() ? Health.up().build() : Health.down()
                .withDetail("reason", "the grid counts nothing until these journals of a dead grid life are replayed (issue 27)")
                .withDetail("awaiting", awaiting)
                .withDetail("action", "start the AdGrid process on each journal directory, or ./adgrid journal give-up ID "
                        + "for one lost for good (./adgrid journal list)").build();
    }
}
