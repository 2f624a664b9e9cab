package io.adgrid.app.config;

import java.time.Duration;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.Range;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Ops settings ({@code adgrid.ops.*}, or {@code ADGRID_OPS_LAGALARM} style variables).
 *
 * @param lagAlarm    write-behind lag from which the dashboard turns red
 * @param metricsHost interface of the metrics port of processes without the reporting port
 * @param metricsPort first port tried for {@code /actuator/prometheus} by {@code node} and {@code gateway}
 *                    processes (the first free one from it is taken; 0: any free port)
 */
@ConfigurationProperties("adgrid.ops")
@Validated
public record OpsProperties(@NotNull @DurationMin(seconds = 1) @DurationMax(days = 1) Duration lagAlarm, @NotBlank String metricsHost,
                            @Range(min = 0, max = 65535) int metricsPort) {
}
