package io.adgrid.app.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Every AdGrid setting, bound from {@code adgrid.*} properties or their environment-variable
 * forms ({@code ADGRID_DB_URL} is {@code adgrid.db.url}, {@code ADGRID_MEMBERS} is {@code adgrid.members}).
 */
@ConfigurationProperties("adgrid")
public record AdGridProperties(
        Path varDir,
        boolean demo,
        String members,
        Db db,
        Grid grid,
        Gateway gateway,
        Catalog catalog,
        WriteBehind writeBehind,
        Admin admin,
        Fraud fraud,
        Journal journal) {

    public record Db(String url, String user, String password, int embeddedPort) {
    }

    /**
     * @param kubernetesServiceDns headless Service DNS name of the data members ({@code ADGRID_KUBERNETES_SERVICE_DNS});
     *                             when set, Hazelcast's Kubernetes DNS discovery replaces the {@code members} list
     * @param minMembers           split-brain protection: a side of the cluster with fewer data members refuses to count
     */
    public record Grid(String clusterName, int port, int partitionCount, int backupCount, String kubernetesServiceDns,
                       int minMembers) {
    }

    /**
     * @param maxPendingRequests requests read and not yet answered beyond which the next is answered 503
     * @param maxRequestDelay    delay inside the gateway beyond which it answers part of the requests 503 (0: off),
     *                           once at least {@code overloadMinPending} requests are pending at once
     * @param maxConnections     open beacon connections beyond which a new one is closed at once
     * @param idleTimeout        a beacon connection with nothing read or written for this long is closed (0: never)
     * @param overloadMinPending requests pending at once below which no delay counts as overload
     */
    public record Gateway(String host, int port, int threads, Duration maxAge, Duration maxAhead,
                          int maxCallsInFlight, int maxBatchEvents, int maxInFlight, Duration maxQueueDelay, Duration orderRetention,
                          Duration catalogRefresh, int maxUrlLength, DataSize maxHeaderSize, DataSize maxBodySize,
                          DataSize maxSaleBodySize, int maxPendingRequests, Duration maxRequestDelay, int maxConnections,
                          Duration idleTimeout, int overloadMinPending) {

        /** Minutes a beacon's identity is remembered for replay dedup: every ts the gateway accepts, and one more. */
        public int replayWindowMinutes() {
            return (int) (maxAge.toMinutes() + maxAhead.toMinutes() + 1);
        }
    }

    /**
     * The gateway's off-heap catalog (Chronicle Map files). {@code ADGRID_CATALOG_MAXBANNERS} is
     * {@code adgrid.catalog.max-banners}, and so on.
     *
     * @param dir where the files live; empty = {@code <var-dir>/catalog}
     */
    public record Catalog(Path dir, long maxBanners, long maxPublishers, long maxCampaigns) {

        public Path directory(Path varDir) {
            return dir == null || dir.toString().isBlank() ? varDir.resolve("catalog") : dir;
        }
    }

    /**
     * @param holdOpenMinute a data member's cycles write only minutes closed 5 s ago or more
     *                       ({@code ADGRID_WRITEBEHIND_HOLDOPENMINUTE}); false: every cycle writes everything
     */
    public record WriteBehind(Duration interval, boolean holdOpenMinute) {
    }

    /**
     * Each data member's journal of what it applied (README "Everything killed at once").
     *
     * @param enabled off only to measure its cost: without it a kill of every member loses what
     *                PostgreSQL did not hold yet
     * @param dir     the journal root; empty = {@code <var-dir>/journal}. Must outlive the process
     *                (a persistent volume in Kubernetes)
     */
    public record Journal(boolean enabled, Path dir) {

        public Path directory(Path varDir) {
            return dir == null || dir.toString().isBlank() ? varDir.resolve("journal") : dir;
        }
    }

    public record Admin(String token) {
    }

    /**
     * Fraud signals (README "Suspect clicks").
     *
     * @param maxClicksPerIpPerMinute clicks a client IP may make per minute (per gateway) before its next clicks
     *                                are suspect ({@code ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE}); 0 turns the limit off
     * @param trustedProxy            the gateway is behind a proxy that appends the client's address to
     *                                {@code X-Forwarded-For} ({@code ADGRID_FRAUD_TRUSTEDPROXY}); off: the header is ignored
     */
    public record Fraud(int maxClicksPerIpPerMinute, boolean trustedProxy) {
    }
}
