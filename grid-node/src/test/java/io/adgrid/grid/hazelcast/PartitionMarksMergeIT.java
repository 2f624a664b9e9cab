package io.adgrid.grid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.grid.testing.Wait;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, seed 5: when the two sides of a split merge, a partition the bigger side lost (both its
 * replicas were on the smaller side) stays unmarked. The smaller side's counts for it are dropped by
 * the counters' merge policy; had its mark come back with the merge, the lost-partition recovery would
 * have taken the partition for never lost and skipped the journal replay, losing those counts.
 */
class PartitionMarksMergeIT {


    private final List<HazelcastInstance> members = new ArrayList<>();

    @AfterEach
    void stop() {
        TestGrid.terminate(members);
        TestGrid.defaultMergeSearch();
    }

    @Test
    void aPartitionLostOnTheBiggerSideStaysUnmarkedWhenTheSmallerSideMergesIn() {
        // The bigger side looks for the smaller one's address from 20 s after its start; the smaller side,
        // started in between and alone on its own list, is a cluster of its own until then: two clusters
        // of one name, as after a split.
        TestGrid.mergeSearchFrom(20);
        int base = TestGrid.freePortBase();
        String cluster = TestGrid.uniqueClusterName(getClass());
        GridSettings bigger = new GridSettings(cluster, List.of("127.0.0.1:" + base, "127.0.0.1:" + (base + 1),
                "127.0.0.1:" + (base + 2)), base, false, 31, 1, null, 2);
        GridSettings smaller = new GridSettings(cluster, List.of("127.0.0.1:" + (base + 2)), base + 2, false, 31, 1, null, 2);

        HazelcastInstance biggerSide = GridMember.start(bigger);
        members.add(biggerSide);
        members.add(GridMember.start(bigger));
        TestGrid.awaitClusterSize(biggerSide, 2, Duration.ofSeconds(60));
        PartitionMarks marks = new PartitionMarks(biggerSide);
        marks.markAll("life");
        int lost = 7;
        biggerSide.getMap(PartitionMarks.MAP).delete(marks.keyOf(lost));
        assertThat(marks.unmarked()).containsExactly(lost);

        HazelcastInstance smallerSide = GridMember.start(smaller);
        members.add(smallerSide);
        new PartitionMarks(smallerSide).markAll("life");
        // A map with Hazelcast's default merge policy: its entry shows the smaller side's data has arrived.
        smallerSide.getMap("probe").put("from-the-smaller-side", "yes");
        assertThat(smallerSide.getCluster().getMembers()).as("the smaller side still apart once marked").hasSize(1);
        assertThat(new PartitionMarks(smallerSide).unmarked()).as("the smaller side marked every partition").isEmpty();

        TestGrid.awaitClusterSize(biggerSide, 3, Duration.ofSeconds(120));
        Wait.until("the smaller side's entries merged", Duration.ofSeconds(60),
                () -> biggerSide.getMap("probe").containsKey("from-the-smaller-side") && biggerSide.getPartitionService().isClusterSafe());
        assertThat(marks.unmarked()).as("partitions without a mark after the merge").isEqualTo(Set.of(lost));
    }
}
