package io.adgrid.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.core.OperationTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Recording the cluster's ts window is the first grid write of a starting data member. On a box at
 * load 20 its backup's acknowledgement came late, the write failed as indeterminate, and the member
 * exited (CI, GatewayOutlivesGridIT): a write that may or may not have landed is tried again, since
 * putIfAbsent of the same value is the same write twice.
 */
class ClusterWindowTest {

    private static final String MINE = "max-age PT15M, max-ahead PT2M";

    @Test
    void aWriteWhoseBackupAnsweredLateIsTriedAgainNotFatal() {
        AtomicInteger tries = new AtomicInteger();
        UnaryOperator<String> putIfAbsent = value -> {
            if (tries.incrementAndGet() < 3) {
                throw tries.get() == 1 ? new IndeterminateOperationStateException("backup acks missed")
                        : new OperationTimeoutException("no response in time");
            }
            return value; // the first try had landed after all: the grid holds this member's own window
        };

        ClusterWindow.record(MINE, putIfAbsent, Duration.ofSeconds(30));

        assertThat(tries).hasValue(3);
    }

    @Test
    void anotherWindowIsStillRefusedAtOnce() {
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> ClusterWindow.record(MINE, value -> {
            tries.incrementAndGet();
            return "max-age PT60M, max-ahead PT2M";
        }, Duration.ofSeconds(30))).isInstanceOf(IllegalStateException.class).hasMessageContaining("differs from the cluster's");
        assertThat(tries).hasValue(1);
    }

    @Test
    void aGridThatNeverAnswersFailsTheStartOnceThePatienceIsOver() {
        assertThatThrownBy(() -> ClusterWindow.record(MINE, value -> {
            throw new OperationTimeoutException("no response in time");
        }, Duration.ofMillis(300))).isInstanceOf(OperationTimeoutException.class);
    }
}
