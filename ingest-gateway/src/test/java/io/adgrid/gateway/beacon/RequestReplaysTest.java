package io.adgrid.gateway.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestReplaysTest {

    @Test
    void aRequestIsRefusedAgainUntilItsWindowEndsOrItIsReleased() {
        RequestReplays replays = new RequestReplays();
        String key = RequestReplays.key("s1", new byte[32]);

        assertThat(replays.claim(key, 1_000, 0)).isTrue();
        assertThat(replays.claim(key, 1_000, 999)).isFalse();
        assertThat(replays.claim(key, 2_000, 1_000)).as("its window ended: the ts check refuses it now").isTrue();

        replays.release(key);
        assertThat(replays.claim(key, 3_000, 1_500)).isTrue();
        assertThat(replays.claim(RequestReplays.key("s2", new byte[32]), 3_000, 1_500)).as("another kid").isTrue();
    }

    @Test
    void memoryIsBoundedAndExpiredEntriesAreDropped() {
        RequestReplays replays = new RequestReplays(100);
        for (int i = 0; i < 1_000; i++) {
            assertThat(replays.claim(RequestReplays.key("s1", new byte[] {(byte) i, (byte) (i >> 8)}), 10_000, 0)).isTrue();
        }
        assertThat(replays.size()).isEqualTo(100);
        assertThat(replays.claim("late", 20_000, 10_000)).isTrue();
        assertThat(replays.size()).as("every entry past its window is dropped").isEqualTo(1);
    }
}
