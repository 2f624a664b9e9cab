package io.adgrid.reporting.admin;

import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.writebehind.WriteBehind;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Operator endpoints, behind the admin bearer token ({@link AdminAuthorization}). */
@RestController
@RequestMapping("/api/v1/admin")
public class AdminController {

    private final WriteBehind writeBehind;
    private final RollupJob rollup;

    public AdminController(WriteBehind writeBehind, RollupJob rollup) {
        this.writeBehind = writeBehind;
        this.rollup = rollup;
    }

    @Operation(summary = "Write everything accepted so far to PostgreSQL; answers when it is there",
            security = @SecurityRequirement(name = "admin"))
    @PostMapping("/flush")
    public ResponseEntity<Map<String, Object>> flush() {
        long start = System.nanoTime();
        WriteBehind.CycleResult r = writeBehind.flushAll();
        return ResponseEntity.ok(Map.of("flushed", true, "batches", r.newBatches(), "rows", r.rows(),
                "millis", (System.nanoTime() - start) / 1_000_000));
    }

    @Operation(summary = "Run the rollup job once now: roll closed hours and days up, drop detail past its retention"
            + " (at most 48 hours a run; call again while hours > 0)", security = @SecurityRequirement(name = "admin"))
    @PostMapping("/rollup")
    public ResponseEntity<Map<String, Object>> rollup() {
        try {
            RollupJob.Result r = rollup.run(Instant.now());
            return ResponseEntity.ok(Map.of("ran", r.ran(), "hours", r.hoursRolled(), "days", r.daysRolled(),
                    "rows", r.rowsRolled(), "partitions_dropped", r.partitionsDropped()));
        } catch (SQLException e) {
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5")
                    .body(Map.of("status", 503, "error", "database_unavailable", "reason", "PostgreSQL unavailable"));
        }
    }
}
