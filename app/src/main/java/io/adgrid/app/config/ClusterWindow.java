package io.adgrid.app.config;

import java.time.Duration;
import io.adgrid.grid.counters.ReplayWindow;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ts window for the whole cluster (issue 17, item 3): the first data member of a cluster records
 * its window in the grid; a data member configured otherwise refuses to start, since members decide
 * what is accepted and how long identities are kept. A gateway or reporting process configured
 * otherwise only gets a warning: the members refuse (422) whatever they could not deduplicate, so
 * its own check is a first filter, never the last word.
 */
final class ClusterWindow {

    private static final Logger log = LoggerFactory.getLogger(ClusterWindow.class);
    static final String MAP = "adgrid-settings";
    static final String KEY = "ts-window";

    private ClusterWindow() {
    }

    static String describe(Duration maxAge, Duration maxAhead) {
        return "max-age " + maxAge + ", max-ahead " + maxAhead;
    }

    static void joinAsDataMember(HazelcastInstance grid, ReplayWindow window) {
        IMap<String, String> settings = grid.getMap(MAP);
        String mine = describe(window.maxAge(), window.maxAhead());
        String cluster = settings.putIfAbsent(KEY, mine);
        if (cluster != null && !cluster.equals(mine)) {
            throw new IllegalStateException("this data member's ts window (" + mine + ") differs from the cluster's (" + cluster
                    + "): set ADGRID_GATEWAY_MAXAGE and ADGRID_GATEWAY_MAXAHEAD the same on every process (the window is one "
                    + "setting for the whole cluster; changing it needs a stop of every data member)");
        }
        log.info("ts window of the cluster: {} (each data member refuses older events on its own clock)", mine);
    }

    static void compareAsLiteMember(HazelcastInstance grid, Duration maxAge, Duration maxAhead) {
        String mine = describe(maxAge, maxAhead);
        String cluster;
        try {
            cluster = grid.<String, String>getMap(MAP).get(KEY);
        } catch (RuntimeException noDataMemberYet) {
            return;
        }
        if (cluster != null && !cluster.equals(mine)) {
            log.warn("this process's ts window ({}) differs from the cluster's ({}): the data members decide; events they "
                    + "cannot deduplicate any more are answered 422 ts_too_old. Set ADGRID_GATEWAY_MAXAGE and "
                    + "ADGRID_GATEWAY_MAXAHEAD the same on every process", mine, cluster);
        }
    }
}
