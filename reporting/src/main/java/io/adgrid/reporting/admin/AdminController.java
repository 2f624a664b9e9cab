package io.adgrid.reporting.admin;

import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.writebehind.RecoveringPartitionsException;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.reporting.web.ApiErrors;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

    private static final Logger log = LoggerFactory.getLogger(AdminController.class);

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
        WriteBehind.CycleResult r;
        try {
            r = writeBehind.flushAll();
        } catch (RecoveringPartitionsException e) {
            log.warn("admin flush did not complete: {}", e.getMessage());
            ResponseEntity<Map<String, Object>> body = ApiErrors.error(HttpStatus.SERVICE_UNAVAILABLE, "recovering", e.getMessage());
            return ResponseEntity.status(body.getStatusCode()).header(HttpHeaders.RETRY_AFTER, "5").body(body.getBody());
        } catch (RuntimeException e) {
            // Nothing is lost: what was not written stays in the grid, and the next flush or cycle writes it.
            log.warn("admin flush did not complete: {}", e.toString());
            return unavailable(e);
        }
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
        } catch (SQLException | RuntimeException e) {
            log.warn("admin rollup did not complete: {}", e.toString());
            return unavailable(e);
        }
    }

    /** 503 with Retry-After in the API's error shape: PostgreSQL when it is the cause, else the grid. */
    private static ResponseEntity<Map<String, Object>> unavailable(Exception e) {
        boolean database = false;
        for (Throwable t = e; t != null && !database; t = t.getCause()) {
            database = t instanceof SQLException;
        }
        ResponseEntity<Map<String, Object>> body = database
                ? ApiErrors.error(HttpStatus.SERVICE_UNAVAILABLE, "database_unavailable", "PostgreSQL unavailable; nothing is lost, retry shortly")
                : ApiErrors.error(HttpStatus.SERVICE_UNAVAILABLE, "unavailable", "the grid did not answer; nothing is lost, retry shortly");
        return ResponseEntity.status(body.getStatusCode()).header(HttpHeaders.RETRY_AFTER, "5").body(body.getBody());
    }
}
