package io.adgrid.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import io.adgrid.event.EventType;
import io.adgrid.grid.port.GridEvent;

/** Validated impressions at demo cardinality (1,000 banners, 100 publishers, two minutes), with random identities. */
public final class BenchEvents {

    /** A gateway batch: what one group-commit call carries at about 50,000 beacons/s. */
    public static final int BATCH = 2000;
    public static final long NOW = 1_795_000_000_000L;

    private BenchEvents() {
    }

    public static List<GridEvent> impressions(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<GridEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long banner = random.nextLong(1, BenchCatalog.BANNERS + 1);
            long publisher = random.nextLong(1, BenchCatalog.PUBLISHERS + 1);
            long ts = NOW + random.nextLong(0, 120_000);
            events.add(new GridEvent(EventType.IMPRESSION, BenchCatalog.campaignOf(banner), banner, publisher, ts,
                    random.nextLong(), random.nextLong(), null, 0));
        }
        return events;
    }

    /** The events by routing key, as the gateway hands them to {@code ApplyBatch}. */
    public static Map<Long, List<GridEvent>> byRouteKey(List<GridEvent> events) {
        Map<Long, List<GridEvent>> byKey = new HashMap<>();
        for (GridEvent e : events) {
            byKey.computeIfAbsent(e.routeKey(), k -> new ArrayList<>()).add(e);
        }
        return byKey;
    }
}
