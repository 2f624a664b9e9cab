package io.adgrid.reporting.pacing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import io.adgrid.reporting.stats.CampaignDays;
import io.adgrid.reporting.web.ApiErrors;
import io.adgrid.reporting.web.RequestRefusedException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** A campaign's pacing, read exactly on request, and the stream of state changes ad servers subscribe to. */
@RestController
@RequestMapping("/api/v1")
public class PacingController {

    private static final Pattern ID = Pattern.compile("[1-9][0-9]{0,17}");

    private final CampaignDays days;
    private final PacingMonitor monitor;
    private final PacingEvents events;
    private final Clock clock;

    public PacingController(CampaignDays days, PacingMonitor monitor, PacingEvents events, Clock clock) {
        this.days = days;
        this.monitor = monitor;
        this.events = events;
        this.clock = clock;
    }

    @Operation(summary = "A campaign's spend against its budget, live and exact: today's spend, billed and over-budget events (a day "
            + "in the budget's time zone), the same over all days, what is left, the spend rate and when the budget runs out at it",
            operationId = "getPacing",
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                            schema = @Schema(implementation = Pacing.class))),
                    @ApiResponse(responseCode = "400", description = "the id is not a positive integer"),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "503", description = "PostgreSQL or the grid is unavailable")})
    @GetMapping(value = "/campaigns/{id}/pacing", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> pacing(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        if (!ID.matcher(id).matches()) {
            throw new RequestRefusedException("campaign id must be a positive integer");
        }
        long campaign = Long.parseLong(id);
        if (!days.exists(campaign)) {
            return ApiErrors.error(HttpStatus.NOT_FOUND, "not_found", "no campaign " + campaign);
        }
        Instant now = clock.instant();
        CampaignDays.Read read = days.read(campaign, b -> Instant.EPOCH, now.plus(Duration.ofDays(2)), true);
        return ResponseEntity.ok(Pacing.of(read, campaign, now, true, monitor.rate(campaign)));
    }

    /** Every budgeted campaign's pacing. */
    @Schema(description = "Every campaign with a budget, by id")
    public record PacingList(List<Pacing> campaigns) {
    }

    @Operation(summary = "Every budgeted campaign's pacing as the monitor last computed it (every 100-250 ms): the states the stream "
            + "sends, for an ad server that starts up or polls instead of subscribing, and for the dashboard",
            description = "Each entry is as on the stream: spend, billed and over_budget over all days only for a campaign with a "
                    + "total budget; for exact figures of one campaign, GET /api/v1/campaigns/{id}/pacing. Empty until the "
                    + "monitor's first refresh after start.",
            operationId = "getPacingList",
            responses = @ApiResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = PacingList.class))))
    @GetMapping(value = "/pacing", produces = MediaType.APPLICATION_JSON_VALUE)
    public PacingList all() {
        return new PacingList(monitor.latest());
    }

    @Operation(summary = "Server-sent events: a campaign's pacing each time its state changes (pacing, exhausted, no_budget)",
            description = "Each event is `event: pacing`, an increasing `id`, and the Pacing JSON as data (spend, billed and over_budget "
                    + "over all days only for a campaign with a total budget). On connect: every budgeted campaign's current state "
                    + "(under the latest id). A client reconnecting with Last-Event-ID gets the changes it missed instead, or every "
                    + "current state when the id is unknown to this process (too old, or from before a restart). States are "
                    + "recomputed every 100-250 ms; a comment line every 15 s keeps the stream open.",
            operationId = "getPacingStream",
            parameters = @Parameter(name = "Last-Event-ID", in = ParameterIn.HEADER, required = false,
                    description = "the id of the last event received", schema = @Schema(type = "string")),
            responses = @ApiResponse(responseCode = "200", content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
                    schema = @Schema(type = "string", example = "id: 1765000000000001\nevent: pacing\ndata: {\"campaign\":5,\"state\":\"exhausted\",...}\n\n"))))
    @GetMapping(value = "/pacing/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public SseEmitter stream(@Parameter(hidden = true) @RequestHeader(value = "Last-Event-ID", required = false) String lastEventId) {
        return events.subscribe(lastEventId);
    }
}
