package io.adgrid.app.metrics;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Ops settings ({@code adgrid.ops.*}, or {@code ADGRID_OPS_LAGALARM} style variables).
 *
 * @param lagAlarm    write-behind lag from which the dashboard turns red
 * @param metricsHost interface of the metrics port of processes without the reporting port
 * @param metricsPort first port tried for {@code /actuator/prometheus} by {@code node} and {@code gateway}
 *                    processes (the first free one from it is taken; 0: any free port)
 */
@ConfigurationProperties("adgrid.ops")
public record OpsProperties(Duration lagAlarm, String metricsHost, int metricsPort) {
}
