package io.adgrid.reporting.stats;

import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.adgrid.pricing.Budget;
import io.adgrid.pricing.BudgetLedger;
import io.adgrid.pricing.Micros;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** CONTRACT section 5: stats by time bucket and top lists, live (PostgreSQL + grid) or from PostgreSQL only. */
@RestController
@RequestMapping("/api/v1")
public class StatsController {

    /** Most buckets one answer may hold (a year of hours fits; a year of minutes does not). */
    static final long MAX_BUCKETS = 50_000;
    static final int MAX_LIMIT = 1000;

    private final StatsService stats;
    private final CampaignDays campaignDays;
    private final java.time.Clock clock;

    public StatsController(StatsService stats, java.time.Clock clock) {
        this(stats, null, clock);
    }

    /** @param campaignDays what campaign day rows read their billing from; null: rows carry no billed */
    @org.springframework.beans.factory.annotation.Autowired
    public StatsController(StatsService stats, CampaignDays campaignDays, java.time.Clock clock) {
        this.stats = stats;
        this.campaignDays = campaignDays;
        this.clock = clock;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "Report rows; dimension and metric are set for top lists only")
    public record StatsAnswer(@Schema(allowableValues = {"banner", "publisher", "campaign"}) String dimension,
                              @Schema(allowableValues = {"impressions", "clicks", "conversions", "revenue", "suspect_clicks", "invalid", "spend"}) String metric,
                              @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<StatsRow> rows) {
    }

    private static final String CSV_EXAMPLE = """
            bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend
            2026-12-05T10:00:00Z,15100,10,2,59.80,0.000662,0.2,0,31,37.75
            """;

    @Operation(summary = "Impressions, clicks, conversions, revenue, CTR, CVR, suspect clicks, invalid traffic and spend per time bucket",
            description = "At most one of campaign, banner, publisher (none: all traffic). from inclusive, to exclusive; "
                    + "ISO-8601 instants, local date-times or dates (local ones in tz; a local time lived twice means its first "
                    + "occurrence). Defaults: the last 24 hours, granularity total. Each row's bucket is its start in tz with the UTC "
                    + "offset, so the hour lived twice when clocks go back is two rows (02:00:00+02:00 and 02:00:00+01:00 in Europe/Paris). "
                    + "Accept: text/csv (or format=csv) gives the same rows as CSV.",
            operationId = "getStats",
            responses = @ApiResponse(responseCode = "200", description = "One row per bucket (one row for total)", content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = StatsAnswer.class)),
                    @Content(mediaType = "text/csv", schema = @Schema(type = "string", description = "a header line, then one line per row",
                            example = CSV_EXAMPLE))}))
    @GetMapping(value = "/stats", produces = {MediaType.APPLICATION_JSON_VALUE, "text/csv"})
    public ResponseEntity<?> stats(
            @Parameter(description = "campaign id", schema = @Schema(type = "integer", format = "int64", minimum = "1"))
            @RequestParam(required = false) String campaign,
            @Parameter(description = "banner id", schema = @Schema(type = "integer", format = "int64", minimum = "1"))
            @RequestParam(required = false) String banner,
            @Parameter(description = "publisher id", schema = @Schema(type = "integer", format = "int64", minimum = "1"))
            @RequestParam(required = false) String publisher,
            @Parameter(description = "start, inclusive: an ISO-8601 instant, local date-time or date", example = "2026-12-05T00:00:00Z")
            @RequestParam(required = false) String from,
            @Parameter(description = "end, exclusive: an ISO-8601 instant, local date-time or date", example = "2026-12-06")
            @RequestParam(required = false) String to,
            @Parameter(description = "bucket size", schema = @Schema(allowableValues = {"minute", "hour", "day", "total"}, defaultValue = "total"))
            @RequestParam(defaultValue = "total") String granularity,
            @Parameter(description = "IANA zone for buckets and local from/to", example = "Europe/Paris", schema = @Schema(defaultValue = "UTC"))
            @RequestParam(defaultValue = "UTC") String tz,
            @Parameter(description = "live: PostgreSQL plus the grid's counts not yet written; db: PostgreSQL only",
                    schema = @Schema(allowableValues = {"live", "db"}, defaultValue = "live"))
            @RequestParam(defaultValue = "live") String source,
            @Parameter(description = "answer format; overrides Accept", schema = @Schema(allowableValues = {"json", "csv"}))
            @RequestParam(required = false) String format,
            @RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
        ZoneId zone = zone(tz);
        boolean csv = csv(format, accept); // every parameter is checked before a backend is asked
        Granularity g = enumParam(Granularity.class, "granularity", granularity);
        Selection selection = selection(campaign, banner, publisher, from, to, zone);
        if (g != Granularity.TOTAL) {
            long buckets = Duration.between(selection.from(), selection.to()).toMinutes() / Duration.of(1, g.unit).toMinutes();
            if (buckets > MAX_BUCKETS) {
                throw new BadQueryException("too many buckets (" + buckets + "); use a coarser granularity or a shorter range");
            }
        }
        boolean live = live(source);
        Map<Object, Tally> totals = stats.tallies(selection, new Grouping.ByTime(g, zone), live);
        List<StatsRow> rows = new ArrayList<>();
        if (g == Granularity.TOTAL) {
            rows.add(StatsRow.of(format(selection.from(), zone), null, totals.getOrDefault(0, new Tally())));
        } else {
            totals.entrySet().stream()
                    .sorted(Comparator.comparing(e -> ((OffsetDateTime) e.getKey()).toInstant()))
                    .forEach(e -> rows.add(StatsRow.of(((OffsetDateTime) e.getKey()).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                            null, e.getValue())));
        }
        if (g == Granularity.DAY && selection.dimension() == Dimension.CAMPAIGN && campaignDays != null) {
            billed(rows, selection, zone, live);
        }
        if (!csv && (selection.dimension() == Dimension.CAMPAIGN || selection.dimension() == Dimension.BANNER)
                && (g == Granularity.TOTAL || g == Granularity.DAY && isUtc(zone))) {
            reach(rows, selection, g, live);
        }
        return answer(new StatsAnswer(null, null, rows), csv, "bucket");
    }

    @Operation(summary = "The campaigns, banners or publishers with the most impressions, clicks, conversions, revenue, suspect clicks, invalid traffic or spend",
            description = "Rows carry id instead of bucket, highest metric first (ties by id); items with 0 are left out.",
            operationId = "getTop",
            responses = @ApiResponse(responseCode = "200", description = "At most limit rows", content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = StatsAnswer.class)),
                    @Content(mediaType = "text/csv", schema = @Schema(type = "string", description = "a header line (id,...), then one line per row"))}))
    @GetMapping(value = "/top", produces = {MediaType.APPLICATION_JSON_VALUE, "text/csv"})
    public ResponseEntity<?> top(
            @Parameter(description = "what to rank", schema = @Schema(allowableValues = {"banner", "publisher", "campaign"}))
            @RequestParam String dimension,
            @Parameter(description = "what to rank by", schema = @Schema(allowableValues = {"impressions", "clicks", "conversions", "revenue",
                    "suspect_clicks", "invalid", "spend"}, defaultValue = "impressions"))
            @RequestParam(defaultValue = "impressions") String metric,
            @Parameter(description = "start, inclusive: an ISO-8601 instant, local date-time or date", example = "2026-12-05T00:00:00Z")
            @RequestParam(required = false) String from,
            @Parameter(description = "end, exclusive: an ISO-8601 instant, local date-time or date", example = "2026-12-06")
            @RequestParam(required = false) String to,
            @Parameter(description = "most rows", schema = @Schema(type = "integer", format = "int32", minimum = "1", maximum = "1000",
                    defaultValue = "10"))
            @RequestParam(defaultValue = "10") String limit,
            @Parameter(description = "IANA zone for local from/to", schema = @Schema(defaultValue = "UTC")) @RequestParam(defaultValue = "UTC") String tz,
            @Parameter(description = "live: PostgreSQL plus the grid's counts not yet written; db: PostgreSQL only",
                    schema = @Schema(allowableValues = {"live", "db"}, defaultValue = "live"))
            @RequestParam(defaultValue = "live") String source,
            @Parameter(description = "answer format; overrides Accept", schema = @Schema(allowableValues = {"json", "csv"}))
            @RequestParam(required = false) String format,
            @RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
        Dimension d = Dimension.parse(dimension);
        Metric m = Metric.parse(metric);
        int n = (int) number("limit", limit, 1, MAX_LIMIT);
        boolean csv = csv(format, accept);
        boolean live = live(source);
        Selection selection = selection(null, null, null, from, to, zone(tz));
        Map<Object, Tally> totals = stats.topCandidates(selection, d, m, n, live);
        List<StatsRow> rows = totals.entrySet().stream()
                .filter(e -> m.of(e.getValue()).signum() > 0)
                .sorted(Comparator.<Map.Entry<Object, Tally>, BigInteger>comparing(e -> m.of(e.getValue())).reversed()
                        .thenComparingLong(e -> (Long) e.getKey()))
                .limit(n)
                .map(e -> StatsRow.of(null, (Long) e.getKey(), e.getValue()))
                .toList();
        return answer(new StatsAnswer(d.label(), metric, rows), csv, "id");
    }

    /**
     * Day rows of a campaign with a budget in this zone: each day starting in the range gets what the budget let it
     * bill up to {@code to} (a day's billing depends on the days before it, so they are read from where the budget
     * starts counting).
     */
    private void billed(List<StatsRow> rows, Selection selection, ZoneId zone, boolean live) {
        CampaignDays.Read read = campaignDays.read(selection.id(),
                b -> b != null && b.totalMicros() == null ? selection.from().minus(Duration.ofDays(2)) : Instant.EPOCH, selection.to(), live);
        Budget budget = read.budgets().get(selection.id());
        if (budget == null || !budget.zone().equals(zone)) {
            return;
        }
        BudgetLedger.Bill bill = read.bill(selection.id());
        for (int i = 0; i < rows.size(); i++) {
            LocalDate day = OffsetDateTime.parse(rows.get(i).bucket()).toLocalDate();
            // a day cut by to is billed up to to (billing goes in time order, so its first events are billed first);
            // a day cut by from is not: what it billed depends on what came before from
            if (!day.atStartOfDay(zone).toInstant().isBefore(selection.from())) {
                BudgetLedger.Day d = bill.day(day);
                rows.set(i, rows.get(i).withBilling(Micros.decimal(d.billedMicros()), d.overBudget()));
            }
        }
    }

    /**
     * Adds unique reach (issue 21) to the rows: a total's is the union of every UTC day its range touches;
     * a day row's, its day's. Reach is kept per UTC day, so other zones' days have none. Without any
     * beacon carrying {@code u} in the range, rows stay as they were.
     */
    private void reach(List<StatsRow> rows, Selection selection, Granularity g, boolean live) {
        Map<Long, List<byte[]>> byDay = stats.reachByDay(selection, live);
        if (byDay.isEmpty()) {
            return;
        }
        for (int i = 0; i < rows.size(); i++) {
            List<byte[]> sketches;
            if (g == Granularity.TOTAL) {
                sketches = byDay.values().stream().flatMap(List::stream).toList();
            } else {
                sketches = byDay.getOrDefault(OffsetDateTime.parse(rows.get(i).bucket()).toLocalDate().toEpochDay(), List.of());
            }
            rows.set(i, rows.get(i).withReach(io.adgrid.grid.reach.Reach.estimate(sketches)));
        }
    }

    private static boolean isUtc(ZoneId zone) {
        return zone.getRules().isFixedOffset() && zone.getRules().getOffset(Instant.EPOCH).getTotalSeconds() == 0;
    }

    private Selection selection(String campaign, String banner, String publisher, String from, String to, ZoneId zone) {
        Dimension dimension = null;
        long id = 0;
        int given = 0;
        for (Dimension d : Dimension.values()) {
            String v = switch (d) {
                case CAMPAIGN -> campaign;
                case BANNER -> banner;
                case PUBLISHER -> publisher;
            };
            if (v != null) {
                given++;
                dimension = d;
                id = number(d.label(), v, 1, Long.MAX_VALUE);
            }
        }
        if (given > 1) {
            throw new BadQueryException("give at most one of campaign, banner, publisher");
        }
        Instant end = to == null ? clock.instant().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES) : instant("to", to, zone);
        Instant start = from == null ? end.minus(Duration.ofDays(1)) : instant("from", from, zone);
        if (!start.isBefore(end)) {
            throw new BadQueryException("from must be before to");
        }
        return new Selection(dimension, id, start, end);
    }

    /** The earliest and latest instants a query may name: beacons carry epoch milliseconds; PostgreSQL's range ends too. */
    static final Instant EARLIEST = Instant.EPOCH;
    static final Instant LATEST = Instant.parse("+10000-01-01T00:00:00Z");

    static Instant instant(String name, String text, ZoneId zone) {
        Instant parsed;
        try {
            parsed = parse(name, text, zone);
        } catch (DateTimeException | ArithmeticException e) {
            parsed = null; // a valid form whose value no instant holds
        }
        if (parsed == null || parsed.isBefore(EARLIEST) || parsed.isAfter(LATEST)) {
            throw new BadQueryException(name + " must be between 1970-01-01 and 9999-12-31");
        }
        return parsed;
    }

    private static Instant parse(String name, String text, ZoneId zone) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            // not an instant with an offset; try local forms below
        }
        try {
            return LocalDateTime.parse(text).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            // try a plain date
        }
        try {
            return LocalDate.parse(text).atStartOfDay(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw new BadQueryException(name + " must be ISO-8601, e.g. 2026-11-21T10:00:00Z, 2026-11-21T10:00 or 2026-11-21");
        }
    }

    private static ZoneId zone(String tz) {
        try {
            return ZoneId.of(tz);
        } catch (DateTimeException e) {
            throw new BadQueryException("tz must be an IANA zone such as UTC or Europe/Paris");
        }
    }

    private static boolean live(String source) {
        return switch (source) {
            case "live" -> true;
            case "db" -> false;
            default -> throw new BadQueryException("source must be live or db");
        };
    }

    private static long number(String name, String text, long min, long max) {
        try {
            long v = Long.parseLong(text);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new BadQueryException(name + " must be an integer from " + min + " to " + max);
    }

    private static <E extends Enum<E>> E enumParam(Class<E> type, String name, String text) {
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(text)) {
                return e;
            }
        }
        throw new BadQueryException(name + " must be one of minute, hour, day, total");
    }

    private static String format(Instant instant, ZoneId zone) {
        return instant.atZone(zone).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    private static boolean csv(String format, String accept) {
        if (format != null) {
            return switch (format) {
                case "csv" -> true;
                case "json" -> false;
                default -> throw new BadQueryException("format must be json or csv");
            };
        }
        return accept != null && accept.contains("text/csv") && !accept.contains(MediaType.APPLICATION_JSON_VALUE);
    }

    private static ResponseEntity<?> answer(StatsAnswer answer, boolean csv, String keyColumn) {
        if (!csv) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(answer);
        }
        StringBuilder sb = new StringBuilder(keyColumn).append(",impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend\n");
        for (StatsRow r : answer.rows()) {
            sb.append(r.bucket() != null ? r.bucket() : String.valueOf(r.id())).append(',')
                    .append(r.impressions()).append(',').append(r.clicks()).append(',').append(r.conversions()).append(',')
                    .append(r.revenue()).append(',').append(r.ctr()).append(',').append(r.cvr()).append(',')
                    .append(r.suspectClicks()).append(',').append(r.invalid()).append(',').append(r.spend()).append('\n');
        }
        return ResponseEntity.ok().contentType(new MediaType("text", "csv", java.nio.charset.StandardCharsets.UTF_8)).body(sb.toString());
    }

}
