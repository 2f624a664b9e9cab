package io.adgrid.grid.member;

import java.time.Duration;
import java.util.function.Supplier;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.core.OperationTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes of a starting member's settings into the grid (the cluster's ts window, the grid life) whose
 * outcome may be unknown: the grid fails a call whose backup did not acknowledge in time
 * ({@code fail.on.indeterminate.state}, see {@link GridMember}), which on a busy box happens at
 * start. Such a write is idempotent (putIfAbsent of one value), so it is tried again rather than
 * failing the start.
 */
public final class SettingWrites {

    private static final Logger log = LoggerFactory.getLogger(SettingWrites.class);

    private SettingWrites() {
    }

    /** {@code write}'s result, trying again while its outcome is unknown, until {@code patience} is over. */
    public static <T> T untilKnown(String what, Supplier<T> write, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return write.get();
            } catch (IndeterminateOperationStateException | OperationTimeoutException unknownOutcome) {
                if (System.nanoTime() > deadline) {
                    throw unknownOutcome;
                }
                log.warn("{}: outcome unknown ({}); trying again", what,
                        String.valueOf(unknownOutcome.getMessage()).lines().findFirst().orElse(""));
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw unknownOutcome;
                }
            }
        }
    }
}
