package io.adgrid.app.config;

import java.nio.file.Path;
import java.time.Duration;
import io.adgrid.grid.member.DataMembersAtLeast;
import io.adgrid.grid.member.GridSettings;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.Range;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every AdGrid setting, bound from {@code adgrid.*} properties or their environment-variable
 * forms ({@code ADGRID_DB_URL} is {@code adgrid.db.url}, {@code ADGRID_MEMBERS} is {@code adgrid.members}).
 * The ranges are checked before anything starts ({@code SettingsCheck}).
 */
@ConfigurationProperties("adgrid")
@Validated
public record AdGridProperties(
        @NotNull Path varDir,
        boolean demo,
        @NotBlank String members,
        @NotNull @Valid Db db,
        @NotNull @Valid Grid grid,
        @NotNull @Valid Gateway gateway,
        @NotNull @Valid Catalog catalog,
        @NotNull @Valid WriteBehind writeBehind,
        @NotNull @Valid Admin admin,
        @NotNull @Valid Fraud fraud,
        @NotNull @Valid Attribution attribution,
        @NotNull @Valid Journal journal,
        @NotNull @Valid Rollup rollup,
        @NotNull @Valid Pacing pacing,
        @Valid Reporting reporting) {

    /** A split-brain minimum that is not a majority of the listed members is refused at start, in one line. */
    public AdGridProperties {
        if (members != null && grid != null) {
            String problem = DataMembersAtLeast.notAMajority(GridSettings.parseMembers(members),
                    grid.kubernetesServiceDns() != null && !grid.kubernetesServiceDns().isBlank(), grid.minMembers());
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
    }

    /**
     * @param embeddedPort      port of the embedded PostgreSQL ({@code ./adgrid run}); 0: any free port
     * @param reportingUser     the read role reports connect as on an external database (docs/SECURITY.md); unset: reports
     *                          read as {@code user} (the embedded server has its own read role)
     * @param reportingPassword its password
     */
    public record Db(String url, String user, String password, @Range(min = 0, max = 65535) int embeddedPort,
                     String reportingUser, String reportingPassword) {
    }

    /** @param port the reporting API's port ({@code ADGRID_REPORTING_PORT}, read as {@code server.port}); unset: 8081 */
    public record Reporting(@Range(min = 0, max = 65535) Integer port) {
    }

    /**
     * @param kubernetesServiceDns headless Service DNS name of the data members ({@code ADGRID_KUBERNETES_SERVICE_DNS});
     *                             when set, Hazelcast's Kubernetes DNS discovery replaces the {@code members} list
     * @param minMembers           split-brain protection: a side of the cluster with fewer data members refuses to count
     * @param bindInterface        {@code ADGRID_GRID_INTERFACE}, else the pod's {@code POD_IP}: the one address Hazelcast
     *                             listens on; empty = 127.0.0.1 (this host only). Never every interface
     */
    public record Grid(@NotBlank String clusterName, @Range(min = 1, max = 65535) int port,
                       @Range(min = 1, max = 10_000) int partitionCount, @Range(min = 0, max = 6) int backupCount,
                       String kubernetesServiceDns, @Range(min = 1, max = 1000) int minMembers,
                       @Name("interface") String bindInterface) {
    }

    /**
     * @param maxPendingRequests requests read and not yet answered beyond which the next is answered 503
     * @param maxRequestDelay    delay inside the gateway beyond which it answers part of the requests 503 (0: off),
     *                           once at least {@code overloadMinPending} requests are pending at once
     * @param maxConnections     open beacon connections beyond which a new one is closed at once
     * @param idleTimeout        a beacon connection with nothing read or written for this long is closed (0: never)
     * @param overloadMinPending requests pending at once below which no delay counts as overload
     * @param headerTimeout      a request's headers must arrive within this time of its first byte (else the connection closes)
     * @param bodyTimeout        its body within this time of its headers (else the connection closes)
     * @param maxBufferedBodies  request bodies held across all connections while they arrive; past it 503 + Retry-After
     * @param maxConnectionsPerAddress open connections from one client address (0: no cap; behind a proxy, raise it)
     */
    public record Gateway(@NotBlank String host, @Range(min = 0, max = 65535) int port, @Range(min = 0, max = 1024) int threads,
                          @NotNull @DurationMin(seconds = 1) @DurationMax(days = 7) Duration maxAge,
                          @NotNull @DurationMin(seconds = 0) @DurationMax(days = 1) Duration maxAhead,
                          @Range(min = 1, max = 1024) int maxCallsInFlight, @Range(min = 1, max = 1_000_000) int maxBatchEvents,
                          @Range(min = 1, max = 100_000_000) int maxInFlight,
                          @NotNull @DurationMin(millis = 1) @DurationMax(minutes = 10) Duration maxQueueDelay,
                          @NotNull @DurationMin(minutes = 1) @DurationMax(days = 366) Duration orderRetention,
                          @NotNull @DurationMin(millis = 100) @DurationMax(hours = 24) Duration catalogRefresh,
                          @Range(min = 64, max = 1_048_576) int maxUrlLength, @NotNull DataSize maxHeaderSize,
                          @NotNull DataSize maxBodySize, @NotNull DataSize maxSaleBodySize,
                          @Range(min = 1, max = 10_000_000) int maxPendingRequests,
                          @NotNull @DurationMin(millis = 0) @DurationMax(minutes = 10) Duration maxRequestDelay,
                          @Range(min = 1, max = 10_000_000) int maxConnections,
                          @NotNull @DurationMin(millis = 0) @DurationMax(days = 1) Duration idleTimeout,
                          @Range(min = 0, max = 10_000_000) int overloadMinPending,
                          @NotNull @DurationMin(millis = 100) @DurationMax(hours = 1) Duration headerTimeout,
                          @NotNull @DurationMin(millis = 100) @DurationMax(hours = 1) Duration bodyTimeout,
                          @NotNull DataSize maxBufferedBodies,
                          @Range(min = 0, max = 10_000_000) int maxConnectionsPerAddress) {

        /**
         * An order remembered for less time than its sale's ts is accepted could be posted again and
         * counted twice: refused at start.
         */
        public Gateway {
            if (maxAge != null && maxAhead != null && orderRetention != null && orderRetention.compareTo(maxAge.plus(maxAhead)) < 0) {
                throw new IllegalArgumentException("adgrid.gateway.order-retention (ADGRID_GATEWAY_ORDERRETENTION) is " + orderRetention
                        + ", shorter than the ts window it must cover: max-age " + maxAge + " + max-ahead " + maxAhead
                        + " (ADGRID_GATEWAY_MAXAGE, ADGRID_GATEWAY_MAXAHEAD); a sale posted again within its window would count twice."
                        + " Set the retention to at least " + maxAge.plus(maxAhead));
            }
        }

        @AssertTrue(message = "must be from 256B to 1MB")
        public boolean isMaxHeaderSizeInRange() {
            return inRange(maxHeaderSize, 256, DataSize.ofMegabytes(1).toBytes());
        }

        @AssertTrue(message = "must be from 1KB to 1GB")
        public boolean isMaxBodySizeInRange() {
            return inRange(maxBodySize, 1024, DataSize.ofGigabytes(1).toBytes());
        }

        @AssertTrue(message = "must be from 1KB to 1GB")
        public boolean isMaxSaleBodySizeInRange() {
            return inRange(maxSaleBodySize, 1024, DataSize.ofGigabytes(1).toBytes());
        }

        @AssertTrue(message = "must be from 1MB to 64GB")
        public boolean isMaxBufferedBodiesInRange() {
            return inRange(maxBufferedBodies, DataSize.ofMegabytes(1).toBytes(), DataSize.ofGigabytes(64).toBytes());
        }

        private static boolean inRange(DataSize size, long min, long max) {
            return size == null || size.toBytes() >= min && size.toBytes() <= max;
        }

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
    public record Catalog(Path dir, @Range(min = 1, max = 1_000_000_000) long maxBanners,
                          @Range(min = 1, max = 1_000_000_000) long maxPublishers, @Range(min = 1, max = 1_000_000_000) long maxCampaigns) {

        public Path directory(Path varDir) {
            return dir == null || dir.toString().isBlank() ? varDir.resolve("catalog") : dir;
        }
    }

    /**
     * @param holdOpenMinute a data member's cycles write only minutes closed 5 s ago or more
     *                       ({@code ADGRID_WRITEBEHIND_HOLDOPENMINUTE}); false: every cycle writes everything
     * @param watermarkPruneInterval how often a data member deletes the {@code flush_watermark} rows nobody can ask
     *                       about any more ({@code WatermarkPruner})
     */
    public record WriteBehind(@NotNull @DurationMin(millis = 10) @DurationMax(minutes = 10) Duration interval, boolean holdOpenMinute,
                              @NotNull @DurationMin(seconds = 1) @DurationMax(days = 7) Duration watermarkPruneInterval) {
    }

    /**
     * Each data member's journal of what it applied (README "Everything killed at once").
     *
     * @param enabled off only to measure its cost: without it a kill of every member loses what
     *                PostgreSQL did not hold yet
     * @param dir     the journal root; empty = {@code <var-dir>/journal}. Must outlive the process
     *                (a persistent volume in Kubernetes)
     * @param standbyHorizon how long a journal file whose counts PostgreSQL holds is still kept when no
     *                standby's replay position is known (issue 17.6); with standbys listed in
     *                pg_stat_replication it is kept until each has replayed the commit
     */
    public record Journal(boolean enabled, Path dir,
                          @NotNull @DurationMin(seconds = 0) @DurationMax(days = 7) Duration standbyHorizon) {

        public Path directory(Path varDir) {
            return dir == null || dir.toString().isBlank() ? varDir.resolve("journal") : dir;
        }
    }

    /**
     * Rollups and retention (issue 22): minutes into hours into days, old detail dropped by partition.
     *
     * @param interval        how often a data member runs the job (one process at a time does the work)
     * @param minuteRetention minute rows kept this long (whole UTC days), then only their hours
     * @param hourRetention   hour rows kept this long (whole UTC months), then only their days
     * @param hourDelay       an hour is rolled this long after it ends (late counts are added to it anyway)
     * @param dayRetention    day rows and their summaries kept this long (whole UTC years, dropped once they end
     *                        before it), then nothing; empty (null): forever. At least the hour and minute retentions
     */
    public record Rollup(@NotNull @DurationMin(seconds = 1) @DurationMax(days = 1) Duration interval,
                         @NotNull @DurationMin(days = 1) @DurationMax(days = 36_500) Duration minuteRetention,
                         @NotNull @DurationMin(days = 31) @DurationMax(days = 36_500) Duration hourRetention,
                         @NotNull @DurationMin(seconds = 0) @DurationMax(days = 1) Duration hourDelay,
                         @DurationMax(days = 36_500) Duration dayRetention) {

        /**
         * Hours are dropped only once their days are rolled up, and days only once no finer table holds
         * their time: a day retention shorter than the others is refused at start, in one line.
         */
        public Rollup {
            if (dayRetention != null && hourRetention != null && minuteRetention != null) {
                boolean hours = hourRetention.compareTo(minuteRetention) >= 0;
                Duration longest = hours ? hourRetention : minuteRetention;
                if (dayRetention.compareTo(longest) < 0) {
                    throw new IllegalArgumentException("adgrid.rollup.day-retention (ADGRID_ROLLUP_DAYRETENTION) is " + shown(dayRetention)
                            + ", shorter than the " + (hours ? "hour retention " : "minute retention ") + shown(longest)
                            + (hours ? " (ADGRID_ROLLUP_HOURRETENTION)" : " (ADGRID_ROLLUP_MINUTERETENTION)")
                            + ": days are dropped only after the hours and minutes they sum, so they must be kept at least as long."
                            + " Set it to at least " + shown(longest) + ", or leave it empty to keep days forever");
                }
            }
        }

        /** {@code 400d} for whole days, else the ISO form ({@code PT36H}). */
        private static String shown(Duration d) {
            return d.toSeconds() % 86_400 == 0 && d.getNano() == 0 ? d.toDays() + "d" : d.toString();
        }
    }

    public record Admin(String token) {
    }

    /** @param interval how often the reporting process recomputes budgeted campaigns' pacing (issue 21) */
    public record Pacing(@NotNull @DurationMin(millis = 100) @DurationMax(millis = 250) Duration interval) {
    }

    /**
     * Fraud signals (README "Suspect clicks").
     *
     * @param maxClicksPerIpPerMinute clicks a client IP may make per minute (per gateway) before its next clicks
     *                                are suspect ({@code ADGRID_FRAUD_MAXCLICKSPERIPPERMINUTE}); 0 turns the limit off
     * @param trustedProxy            the gateway is behind a proxy that appends the client's address to
     *                                {@code X-Forwarded-For} ({@code ADGRID_FRAUD_TRUSTEDPROXY}); off: the header is ignored
     * @param knownRobots             impressions and clicks whose User-Agent is a known robot's are counted as
     *                                {@code invalid}, never billed ({@code ADGRID_FRAUD_KNOWNROBOTS}); off: none is judged
     */
    public record Fraud(@Range(min = 0, max = 1_000_000) int maxClicksPerIpPerMinute, boolean trustedProxy, boolean knownRobots) {
    }

    /**
     * Click ids and sales posted by them (issue 21, docs/API.md "Click ids and postbacks"): the deployment's
     * defaults, for campaigns that set no parameter or window of their own (admin API {@code …/attribution}).
     *
     * @param clickParam the landing-URL parameter the {@code /c} redirect puts a click's id in
     *                   ({@code ADGRID_ATTRIBUTION_CLICKPARAM}); empty: the landing URL as registered, no id
     * @param window     how long after its click a sale posted with the click's id is attributed to it
     *                   ({@code ADGRID_ATTRIBUTION_WINDOW}); later, {@code 422 outside_window}
     */
    public record Attribution(@NotNull @jakarta.validation.constraints.Pattern(regexp = "[A-Za-z0-9_]{0,32}",
            message = "must be up to 32 letters, digits or _ (empty: no click id)") String clickParam,
                              @NotNull @DurationMin(minutes = 1) @DurationMax(days = 366) Duration window) {
    }
}
