package io.adgrid.persister.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JournalReplayTest {

    /** A file's minute in 2026, as a replay records it in journal_recovered_slice. */
    private static final long MINUTE = 29_900_000L;

    @Test
    void aRepairsKeyNeverMeetsAReplaysKey() {
        // A replay records a slice under its file's minute (0 or more); a repair's key is negative.
        assertThat(JournalReplay.lostWritesKey(0, 0)).isNegative();
        assertThat(JournalReplay.lostWritesKey(1, MINUTE)).isNegative();
        assertThat(JournalReplay.lostWritesKey(1_000_000, (1L << 26) - 1)).isNegative();
    }

    @Test
    void eachFileAndEachAcknowledgedBatchHasAKeyOfItsOwn() {
        Set<Long> keys = new HashSet<>();
        for (long seq = 0; seq < 50; seq++) {
            for (long minute = MINUTE; minute < MINUTE + 50; minute++) {
                keys.add(JournalReplay.lostWritesKey(seq, minute));
            }
        }
        assertThat(keys).hasSize(50 * 50);
    }

    @Test
    void aKeyThatWouldOverflowIsRefusedRatherThanWrapped() {
        assertThatThrownBy(() -> JournalReplay.lostWritesKey(Long.MAX_VALUE >> 20, MINUTE)).isInstanceOf(ArithmeticException.class);
    }
}
