package io.adgrid.grid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Failsafe tells each fork its number, so {@link TestPorts} can move the fork's fixed ports apart. */
class ForkNumberIT {

    @Test
    void eachForkKnowsItsNumber() {
        // Until this test, the pom passed an empty value and both forks used fork 1's ports.
        assertThat(System.getProperty("adgrid.test.fork")).matches("fork-[1-6]");
    }
}
