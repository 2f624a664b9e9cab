package io.adgrid.reporting.ops;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The ops dashboard's data: the whole cluster in one answer, cheap enough to poll every second. */
@RestController
@RequestMapping("/api/v1/ops")
public class OpsController {

    private final OpsOverview overview;

    public OpsController(OpsOverview overview) {
        this.overview = overview;
    }

    @Operation(summary = "Cluster-wide ops overview: status, event and flush rates, latency, write-behind lag, members, top lists",
            description = "Every member is asked for its figures at most about once a second, whoever polls. "
                    + "series holds the chart points taken after since (epoch milliseconds; 0 or absent: the whole history).")
    @GetMapping("/overview")
    public ResponseEntity<OpsOverview.Overview> overview(
            @Parameter(description = "epoch milliseconds of the last point the caller has") @RequestParam(defaultValue = "0") long since) {
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(overview.overview(since));
    }
}
