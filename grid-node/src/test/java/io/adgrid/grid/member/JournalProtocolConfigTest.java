package io.adgrid.grid.member;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import io.adgrid.grid.journal.RecoveryGate;
import com.hazelcast.config.MapConfig;
import org.junit.jupiter.api.Test;

/**
 * The journal protocol map (the grid's life, the journals awaited, the partitions lost) outlives any
 * loss short of every data member, and a side without the majority cannot write it.
 *
 * <p>Issue 18, seed 14: two members killed together took the life's only two replicas with them; a
 * member started again found no life, named a new one and ended the living one, whose journals the
 * new life then replayed while the grid still held their counts: 3,923 anomaly lines, all DOUBLED.
 */
class JournalProtocolConfigTest {

    private static final GridSettings FOUR = new GridSettings("c", List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703", "127.0.0.1:5704"), 5701, false, 31, 1);

    @Test
    void theProtocolHasACopyOnEveryMember() {
        assertThat(GridMember.config(FOUR).getMapConfig(RecoveryGate.MAP).getTotalBackupCount()).isEqualTo(MapConfig.MAX_BACKUP_COUNT);
        assertThat(GridMember.config(FOUR.withMinMembers(3)).getMapConfig(RecoveryGate.MAP).getTotalBackupCount())
                .isEqualTo(MapConfig.MAX_BACKUP_COUNT);
    }

    @Test
    void aSideWithoutTheMajorityCannotWriteIt() {
        assertThat(GridMember.config(FOUR.withMinMembers(3)).getMapConfig(RecoveryGate.MAP).getSplitBrainProtectionName())
                .isEqualTo(GridMember.MAJORITY);
    }
}
