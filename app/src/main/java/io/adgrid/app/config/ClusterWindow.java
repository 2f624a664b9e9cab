package io.adgrid.app.config;

import java.time.Duration;
import java.util.function.UnaryOperator;
import io.adgrid.grid.port.ReplayWindow;
import io.adgrid.grid.member.SettingWrites;
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
    /** How long a start keeps trying a write whose outcome is unknown before it fails. */
    private static final Duration WRITE_PATIENCE = Duration.ofMinutes(2);

    private ClusterWindow() {
    }

    static String describe(Duration maxAge, Duration maxAhead) {
        return "max-age " + maxAge + ", max-ahead " + maxAhead;
    }

    static void joinAsDataMember(HazelcastInstance grid, ReplayWindow window) {
        IMap<String, String> settings = grid.getMap(MAP);
        record(describe(window.maxAge(), window.maxAhead()), mine -> settings.putIfAbsent(KEY, mine), WRITE_PATIENCE);
    }

    /**
     * Records {@code mine} as the cluster's window unless one is recorded, and refuses a different one.
     * A write whose outcome is unknown (its backup answered late on a busy box) is tried again.
     */
    static void record(String mine, UnaryOperator<String> putIfAbsent, Duration patience) {
        String cluster = SettingWrites.untilKnown("recording the cluster's ts window", () -> putIfAbsent.apply(mine), patience);
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
