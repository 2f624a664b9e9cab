package io.adgrid.grid.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TestPortsTest {

    @Test
    void eachForkMovesEveryFixedPortOutOfTheOtherForksRanges() {
        assertThat(TestPorts.offset(1)).isZero();
        assertThat(TestPorts.offset(2)).isEqualTo(3_800);
        // The fixed ports run from 5,710 to 9,330 (plus members and Hazelcast's port auto-increment): fork 1's
        // highest stays below fork 2's lowest, and fork 6's highest below the free ports.
        assertThat(9_430 + TestPorts.offset(1)).isLessThan(5_700 + TestPorts.offset(2));
        assertThat(9_430 + TestPorts.offset(6)).isLessThan(TestPorts.FREE_FROM);
    }

    @Test
    void aSeventhForkIsRefusedRatherThanGivenPortsOfTheFreeRange() {
        assertThatThrownBy(() -> TestPorts.offset(7)).hasMessageContaining("at most 6 forks");
        assertThatThrownBy(() -> TestPorts.offset(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theForkNumberIsReadFromThePomsValueAndAnythingElseIsRefused() {
        assertThat(TestPorts.fork(null)).isEqualTo(1);
        assertThat(TestPorts.fork("fork-2")).isEqualTo(2);
        // What the pom passed while it held the placeholder alone: every fork silently took fork 1's ports.
        assertThatThrownBy(() -> TestPorts.fork("")).hasMessageContaining("expected fork-N");
        assertThatThrownBy(() -> TestPorts.fork("fork-${surefire.forkNumber}")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void membersListsConsecutivePortsOfThisFork() {
        int first = TestPorts.of(5710);
        assertThat(TestPorts.members(5710, 3)).isEqualTo("127.0.0.1:" + first + ",127.0.0.1:" + (first + 1) + ",127.0.0.1:" + (first + 2));
    }

    @Test
    void freePortsComeFromOutsideTheKernelsEphemeralRangeAndCanBeBound() throws Exception {
        for (int i = 0; i < 20; i++) {
            int base = TestPorts.freeRun(3);
            assertThat(base).isBetween(TestPorts.FREE_FROM, TestPorts.FREE_TO - 3);
            try (java.net.ServerSocket a = new java.net.ServerSocket(base); java.net.ServerSocket c = new java.net.ServerSocket(base + 2)) {
                assertThat(a.getLocalPort()).isEqualTo(base);
            }
        }
        assertThat(TestPorts.free()).isLessThan(32_768);
    }
}
