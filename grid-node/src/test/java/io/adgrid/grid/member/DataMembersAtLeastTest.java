package io.adgrid.grid.member;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Who votes for the majority (the addresses themselves are checked against real members in SplitBrainProtectionIT). */
class DataMembersAtLeastTest {

    @Test
    void theListedAddressesAreTheSeats() {
        GridSettings listed = new GridSettings("c", List.of("127.0.0.1:5701", "node-2.example:5701"), 5701, false, 31, 1, null, 2);
        assertThat(DataMembersAtLeast.of(listed).seats()).containsExactly("127.0.0.1:5701", "node-2.example:5701");
        assertThat(DataMembersAtLeast.of(listed).minimum()).isEqualTo(2);
    }

    @Test
    void everyDataMemberVotesWithKubernetesDiscoveryOrAListThisCheckDoesNotRead() {
        GridSettings kubernetes = new GridSettings("c", List.of("127.0.0.1:5701"), 5701, false, 31, 1, "grid.adgrid.svc", 2);
        GridSettings wildcard = new GridSettings("c", List.of("10.0.0.*:5701"), 5701, false, 31, 1, null, 2);
        GridSettings range = new GridSettings("c", List.of("10.0.0.1-9:5701"), 5701, false, 31, 1, null, 2);
        assertThat(DataMembersAtLeast.of(kubernetes).seats()).isEmpty();
        assertThat(DataMembersAtLeast.of(wildcard).seats()).isEmpty();
        assertThat(DataMembersAtLeast.of(range).seats()).isEmpty();
    }

    @Test
    void aMinimumThatIsNotAMajorityOfTheListIsRefused() {
        List<String> four = List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703", "127.0.0.1:5704");
        assertThatThrownBy(() -> DataMembersAtLeast.of(new GridSettings("c", four, 5701, false, 31, 1, null, 2)))
                .hasMessageContaining("ADGRID_GRID_MINMEMBERS=2 is not a majority of the 4 data member addresses").hasMessageContaining("set it to 3");
        assertThat(DataMembersAtLeast.of(new GridSettings("c", four, 5701, false, 31, 1, null, 3)).minimum()).isEqualTo(3);
        assertThat(DataMembersAtLeast.of(new GridSettings("c", four, 5701, false, 31, 1, null, 1)).minimum()).isEqualTo(1);
    }
}
