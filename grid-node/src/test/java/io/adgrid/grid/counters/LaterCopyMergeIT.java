package io.adgrid.grid.counters;

import io.adgrid.grid.port.BatchId;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.port.RouteKeys;
import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.adgrid.grid.member.GridMember;
import io.adgrid.grid.member.GridSettings;
import io.adgrid.grid.testing.TestGrid;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, seed 22: members restarted and paused during a split left the side that counted the smaller
 * one at the heal. Hazelcast merged it into the other side, whose older copies of the entries stayed;
 * what the counting side had taken since the split was gone from memory, and its journals were skipped as
 * written. Of two copies of one epoch the later one must stay, whichever side holds it.
 */
class LaterCopyMergeIT {

    private static final long GATEWAY = 0x5EED_0022L;
    private static final long CAMPAIGN = 3;
    private static final long AHEAD_ON_THE_SMALLER_SIDE = 13;
    private static final long AHEAD_ON_THE_BIGGER_SIDE = 14;

    private final List<HazelcastInstance> members = new ArrayList<>();

    @AfterEach
    void stop() {
        TestGrid.terminate(members);
        TestGrid.defaultMergeSearch();
    }

    @Test
    void theLaterCopyOfAnEntryStaysWhicheverSideOfTheHealHeldIt() throws InterruptedException {
        // Two clusters of one name, as after a split, each with a majority of its own list so both can
        // count: the bigger side (three members) looks for the smaller side's addresses from 20 s after
        // its start, and the smaller side (two members, listing only themselves) forms in between.
        TestGrid.mergeSearchFrom(20);
        int biggerBase = TestGrid.freePortBase();
        int smallerBase = TestGrid.freePortBase();
        String cluster = TestGrid.uniqueClusterName(getClass());
        List<String> smallerAddresses = List.of("127.0.0.1:" + smallerBase, "127.0.0.1:" + (smallerBase + 1));
        List<String> everyAddress = new ArrayList<>(List.of("127.0.0.1:" + biggerBase, "127.0.0.1:" + (biggerBase + 1),
                "127.0.0.1:" + (biggerBase + 2)));
        everyAddress.addAll(smallerAddresses);
        GridSettings bigger = new GridSettings(cluster, everyAddress, biggerBase, false, 31, 1, null, 3);
        GridSettings smaller = new GridSettings(cluster, smallerAddresses, smallerBase, false, 31, 1, null, 2);

        HazelcastInstance biggerSide = start(bigger);
        start(bigger);
        start(bigger);
        TestGrid.awaitClusterSize(biggerSide, 3, Duration.ofSeconds(60));
        HazelcastInstance smallerSide = start(smaller);
        HazelcastInstance smallerSecond = start(smaller);
        TestGrid.awaitClusterSize(smallerSide, 2, Duration.ofSeconds(60));
        // Hazelcast says MERGED once a member merged into the other cluster has sent it all its entries.
        CountDownLatch merged = new CountDownLatch(2);
        for (HazelcastInstance m : List.of(smallerSide, smallerSecond)) {
            m.getLifecycleService().addLifecycleListener(event -> {
                if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    merged.countDown();
                }
            });
        }

        // Both sides hold each entry as it was at the split (one batch), then one side goes on with it.
        IMap<Long, RouteState> biggerMap = biggerSide.getMap(RouteState.MAP);
        IMap<Long, RouteState> smallerMap = smallerSide.getMap(RouteState.MAP);
        for (long banner : List.of(AHEAD_ON_THE_SMALLER_SIDE, AHEAD_ON_THE_BIGGER_SIDE)) {
            biggerMap.executeOnKey(RouteKeys.banner(banner), batch(1, banner, 1));
            smallerMap.executeOnKey(RouteKeys.banner(banner), batch(1, banner, 1));
        }
        smallerMap.executeOnKey(RouteKeys.banner(AHEAD_ON_THE_SMALLER_SIDE), batch(2, AHEAD_ON_THE_SMALLER_SIDE, 2));
        smallerMap.executeOnKey(RouteKeys.banner(AHEAD_ON_THE_SMALLER_SIDE), batch(3, AHEAD_ON_THE_SMALLER_SIDE, 3));
        biggerMap.executeOnKey(RouteKeys.banner(AHEAD_ON_THE_BIGGER_SIDE), batch(2, AHEAD_ON_THE_BIGGER_SIDE, 2));
        assertThat(smallerSide.getCluster().getMembers()).as("the smaller side still apart once it counted").hasSize(2);

        assertThat(merged.await(120, TimeUnit.SECONDS)).as("the smaller side merged").isTrue();
        TestGrid.awaitClusterSize(biggerSide, 5, Duration.ofSeconds(60));
        assertThat(impressions(biggerMap, AHEAD_ON_THE_SMALLER_SIDE)).as("the smaller side's later copy").isEqualTo(3);
        assertThat(impressions(biggerMap, AHEAD_ON_THE_BIGGER_SIDE)).as("the bigger side's later copy").isEqualTo(2);
    }

    private HazelcastInstance start(GridSettings settings) {
        HazelcastInstance member = GridMember.start(settings);
        members.add(member);
        return member;
    }

    /** Batch {@code sequence} of one gateway: one new impression of the banner (the first batch names the epoch). */
    private static ApplyBatch batch(long sequence, long banner, long id) {
        GridEvent e = impression(CAMPAIGN, banner, 7, ts(BASE_MINUTE, id), id);
        return new ApplyBatch(new BatchId(GATEWAY, sequence), BASE_MINUTE + 60, Map.of(RouteKeys.banner(banner), List.of(e)));
    }

    private static long impressions(IMap<Long, RouteState> map, long banner) {
        RouteState state = map.get(RouteKeys.banner(banner));
        return state == null ? 0 : TestEvents.total(TestEvents.unpersisted(new AbstractMap.SimpleEntry<>(RouteKeys.banner(banner), state))).impressions;
    }
}
