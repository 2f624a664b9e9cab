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
        WriteBehind writeBehind,
        Admin admin) {

    public record Db(String url, String user, String password, int embeddedPort) {
    }

    /**
     * @param kubernetesServiceDns headless Service DNS name of the data members ({@code ADGRID_KUBERNETES_SERVICE_DNS});
     *                             when set, Hazelcast's Kubernetes DNS discovery replaces the {@code members} list
     */
    public record Grid(String clusterName, int port, int partitionCount, int backupCount, String kubernetesServiceDns) {
    }

    public record Gateway(String host, int port, int threads, Duration maxAge, Duration maxAhead,
                          int maxCallsInFlight, int maxBatchEvents, int maxInFlight, Duration maxQueueDelay, Duration orderRetention,
                          Duration catalogRefresh, int maxUrlLength, DataSize maxHeaderSize, DataSize maxBodySize,
                          DataSize maxSaleBodySize) {
    }

    public record WriteBehind(Duration interval) {
    }

    public record Admin(String token) {
    }
}
