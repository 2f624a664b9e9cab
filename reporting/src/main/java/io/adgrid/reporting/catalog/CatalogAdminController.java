package io.adgrid.reporting.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import jakarta.servlet.http.HttpServletRequest;
import io.adgrid.persister.catalog.CampaignBudgets;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.catalog.CatalogAdmin;
import io.adgrid.pricing.Budget;
import io.adgrid.pricing.Micros;
import io.adgrid.pricing.Price;
import io.adgrid.pricing.PriceBook;
import io.adgrid.pricing.PricingModel;
import io.adgrid.persister.catalog.CatalogAdmin.Secret;
import io.adgrid.reporting.web.ApiErrors;
import io.adgrid.reporting.web.RequestRefusedException;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The catalog's admin API, behind the admin bearer token: campaigns (with their prices), banners,
 * publishers and the campaigns' signing keys. The token is checked by {@code AdminAuthorization} before this controller
 * reads anything (path ids, body), so a request without it learns nothing and costs nothing. Bodies are read here, bounded, and parsed
 * strictly; JSON errors are reported by position only (refusals are answered by {@link ApiErrors}), so a secret in a malformed body is never
 * echoed. Responses never carry a secret: a campaign lists its keys' ids and dates.
 */
@RestController
@RequestMapping("/api/v1/admin/catalog")
public class CatalogAdminController {

    /** Largest request body read; the largest valid one (a 2 KiB URL, a 1 KiB secret) is far below. */
    static final int MAX_BODY_BYTES = 16 * 1024;
    private static final Pattern ID = Pattern.compile("[1-9][0-9]{0,17}");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final CatalogAdmin catalog;
    private final CampaignPrices prices;
    private final CampaignBudgets budgets;

    public CatalogAdminController(CatalogAdmin catalog, CampaignPrices prices, CampaignBudgets budgets) {
        this.catalog = catalog;
        this.prices = prices;
        this.budgets = budgets;
    }

    // ---- the JSON the API speaks ----------------------------------------------------------------

    @Schema(description = "Create: name and secret required, currency defaults to USD. Update: name (and currency) only; a secret is refused")
    public record CampaignBody(String name, @Schema(example = "EUR") String currency,
                               @Schema(description = "the signing secret of key 0, at least 16 bytes; only when creating", writeOnly = true) String secret) {
        @Override
        public String toString() {
            return "CampaignBody[name=" + name + ", currency=" + currency + ", secret=" + (secret == null ? "none" : "redacted") + "]";
        }
    }

    public record BannerBody(long campaign, @Schema(example = "https://example.com/landing") String landingUrl) {
    }

    public record PublisherBody(String name) {
    }

    public record KeyBody(@Schema(example = "k2") String kid,
                          @Schema(description = "at least 16 bytes", writeOnly = true) String secret) {
        @Override
        public String toString() {
            return "KeyBody[kid=" + kid + ", secret=redacted]";
        }
    }

    public record RetireBody(@Schema(description = "ISO-8601 instant; default now", example = "2026-12-01T00:00:00Z") String at) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record KeyInfo(String kid, @JsonProperty("created_at") String createdAt, @JsonProperty("retired_at") String retiredAt,
                          boolean active, @Schema(description = "also accepts v1 signatures (no type path); its v1 clicks count as suspect") boolean legacy) {
        static KeyInfo of(CatalogAdmin.Key k) {
            return new KeyInfo(k.kid(), k.createdAt().toString(), k.retiredAt() == null ? null : k.retiredAt().toString(),
                    k.activeAt(Instant.now()), k.legacy());
        }
    }

    @Schema(description = "A price of a campaign, in force from the UTC midnight of from until the campaign's next price")
    public record PriceInfo(@Schema(allowableValues = {"CPM", "CPC", "CPA"}) String model,
                            @Schema(description = "micros (10^-6) of the campaign's currency: per 1,000 impressions (CPM), "
                                    + "per clean click (CPC) or per conversion (CPA)", example = "2500000") @JsonProperty("price_micros") long priceMicros,
                            @Schema(description = "the same price as an exact decimal string, e.g. \"2.50\"") String price,
                            @Schema(description = "UTC date from whose midnight the price is in force", example = "2026-12-07") String from) {
        static PriceInfo of(PriceBook.Period p) {
            return new PriceInfo(p.price().model().name(), p.price().micros(), Micros.decimal(p.price().micros()),
                    p.from().atOffset(ZoneOffset.UTC).toLocalDate().toString());
        }
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record CampaignInfo(long id, String name, String currency, @JsonProperty("created_at") String createdAt,
                               @JsonProperty("updated_at") String updatedAt, List<KeyInfo> keys,
                               @Schema(description = "the price in force now; null: none (the campaign's spend is 0)", nullable = true) PriceInfo pricing,
                               @Schema(description = "every price of the campaign, oldest first (past, current and scheduled)") List<PriceInfo> prices,
                               @Schema(description = "the campaign's budget; null: none (it is never exhausted)", nullable = true) BudgetInfo budget) {
        static CampaignInfo of(CatalogAdmin.CampaignView c, List<PriceBook.Period> schedule, Budget budget) {
            PriceBook.Period now = CampaignPrices.inForce(schedule, Instant.now());
            return new CampaignInfo(c.id(), c.name(), c.currency(), c.createdAt().toString(), c.updatedAt().toString(),
                    c.keys().stream().map(KeyInfo::of).toList(), now == null ? null : PriceInfo.of(now),
                    schedule.stream().map(PriceInfo::of).toList(), budget == null ? null : BudgetInfo.of(budget));
        }
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "A campaign's budget: what it may bill a day (a day in time_zone) and in all; null: no cap of that kind")
    public record BudgetInfo(@Schema(description = "micros of the campaign's currency a day", example = "20000000", nullable = true, format = "int64")
                             @JsonProperty("daily_micros") Long dailyMicros,
                             @Schema(description = "the daily budget as an exact decimal string, e.g. \"20.00\"", nullable = true) String daily,
                             @Schema(description = "micros of the campaign's currency in all", example = "1000000000", nullable = true, format = "int64")
                             @JsonProperty("total_micros") Long totalMicros,
                             @Schema(description = "the total budget as an exact decimal string, e.g. \"1000.00\"", nullable = true) String total,
                             @Schema(description = "IANA zone of the budget's days (its daily budget starts again at this zone's midnight)",
                                     example = "America/New_York") @JsonProperty("time_zone") String timeZone) {
        static BudgetInfo of(Budget b) {
            return new BudgetInfo(b.dailyMicros(), b.dailyMicros() == null ? null : Micros.decimal(b.dailyMicros()),
                    b.totalMicros(), b.totalMicros() == null ? null : Micros.decimal(b.totalMicros()), b.zone().getId());
        }
    }

    @Schema(description = "A campaign's budget, replaced whole: a null or absent cap is none; both null remove the budget")
    public record BudgetBody(@Schema(description = "micros of the campaign's currency a day, 0 to 10^18; null: no daily cap",
                                     example = "20000000", format = "int64", nullable = true) @JsonProperty("daily_micros") Long dailyMicros,
                             @Schema(description = "micros of the campaign's currency in all, 0 to 10^18; null: no total cap",
                                     example = "1000000000", format = "int64", nullable = true) @JsonProperty("total_micros") Long totalMicros,
                             @Schema(description = "IANA region id of the budget's days; default UTC", example = "America/New_York")
                             @JsonProperty("time_zone") String timeZone) {
    }

    @Schema(description = "A campaign's price from a UTC date")
    public record PricingBody(@Schema(allowableValues = {"CPM", "CPC", "CPA"}, requiredMode = Schema.RequiredMode.REQUIRED) String model,
                              @Schema(description = "micros of the campaign's currency, 0 to 10^15; a CPM price is a multiple of 1000 "
                                      + "(at most 3 decimals per thousand impressions)", example = "2500000", format = "int64",
                                      requiredMode = Schema.RequiredMode.REQUIRED) @JsonProperty("price_micros") Long priceMicros,
                              @Schema(description = "UTC date (YYYY-MM-DD) from whose midnight the price is in force; default: "
                                      + "the campaign's first price covers all its history, a later one starts tomorrow (UTC)",
                                      example = "2026-12-07") String from) {
    }

    public record BannerInfo(long id, long campaign, String landingUrl, @JsonProperty("created_at") String createdAt,
                             @JsonProperty("updated_at") String updatedAt) {
        static BannerInfo of(CatalogAdmin.BannerView b) {
            return new BannerInfo(b.id(), b.campaignId(), b.landingUrl(), b.createdAt().toString(), b.updatedAt().toString());
        }
    }

    public record PublisherInfo(long id, String name, @JsonProperty("created_at") String createdAt) {
        static PublisherInfo of(CatalogAdmin.PublisherView p) {
            return new PublisherInfo(p.id(), p.name(), p.createdAt().toString());
        }
    }

    public record KeyAnswer(long campaign, String kid, @JsonProperty("created_at") String createdAt,
                            @JsonProperty("retired_at") String retiredAt, boolean active, boolean legacy) {
        static KeyAnswer of(long campaign, CatalogAdmin.Key k) {
            KeyInfo i = KeyInfo.of(k);
            return new KeyAnswer(campaign, i.kid(), i.createdAt(), i.retiredAt(), i.active(), i.legacy());
        }
    }

    // ---- campaigns ------------------------------------------------------------------------------

    @Operation(summary = "Create (201) or update (200) a campaign; on create its secret becomes key 0",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = CampaignBody.class))),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, or a secret on an update"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "422", description = "a value breaks a rule")})
    @PutMapping("/campaigns/{id}")
    public ResponseEntity<?> putCampaign(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                         HttpServletRequest request) {
        return answer(() -> {
            long campaign = id(id, "campaign");
            Body body = body(request, Set.of("name", "currency", "secret"));
            String secret = body.string("secret");
            CatalogAdmin.Saved<CatalogAdmin.CampaignView> saved =
                    catalog.putCampaign(campaign, body.string("name"), body.string("currency"), secret == null ? null : new Secret(secret));
            return saved(saved.created(), "/api/v1/admin/catalog/campaigns/" + campaign, CampaignInfo.of(saved.value(), prices.schedule(campaign),
                    budgets.get(campaign).orElse(null)));
        });
    }

    @Operation(summary = "A campaign with its keys' ids, creation and retirement (never the secrets)",
            security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CampaignInfo.class))))
    @GetMapping("/campaigns/{id}")
    public ResponseEntity<?> getCampaign(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        return answer(() -> {
            long campaign = id(id, "campaign");
            return catalog.campaign(campaign).<ResponseEntity<?>>map(c -> ResponseEntity.ok(CampaignInfo.of(c, prices.schedule(campaign),
                    budgets.get(campaign).orElse(null))))
                    .orElseGet(() -> notFound("no campaign " + campaign));
        });
    }

    @Operation(summary = "Set a campaign's price (200) from a UTC date: CPM, CPC or CPA, in micros of its currency; reports bill each "
            + "counter at the price in force at its time. Setting a price for a date that has one replaces it",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = PricingBody.class))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the campaign with its prices",
                            content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, price_micros not an integer"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "422", description = "an unknown model, a negative or too large price, a CPM price "
                            + "not a multiple of 1000, a bad date")})
    @PutMapping("/campaigns/{id}/pricing")
    public ResponseEntity<?> putPricing(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                        HttpServletRequest request) {
        return answer(() -> {
            long campaign = id(id, "campaign");
            Body body = body(request, Set.of("model", "price_micros", "from"));
            PricingModel model = model(body.string("model"));
            long micros = body.priceMicros("price_micros");
            String from = body.string("from");
            LocalDate day = null;
            if (from != null) {
                try {
                    day = LocalDate.parse(from);
                } catch (DateTimeParseException e) {
                    return ApiErrors.error(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", "from must be a UTC date, e.g. 2026-12-07");
                }
            }
            List<PriceBook.Period> schedule = prices.set(campaign, model, micros, day);
            return ResponseEntity.ok(CampaignInfo.of(catalog.campaign(campaign).orElseThrow(), schedule, budgets.get(campaign).orElse(null)));
        });
    }

    @Operation(summary = "Set (200) a campaign's budget: a daily cap (its days in time_zone) and/or a total cap, in micros of its currency. "
            + "Billing stops at a cap: the events beyond it are counted as over_budget and never billed. Both caps null remove the budget",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = BudgetBody.class))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the campaign with its budget",
                            content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, a cap that is not an integer, a time_zone that is not a string"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "422", description = "a negative or too large cap, an unknown time zone or a bare offset")})
    @PutMapping("/campaigns/{id}/budget")
    public ResponseEntity<?> putBudget(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                       HttpServletRequest request) {
        return answer(() -> {
            long campaign = id(id, "campaign");
            Body body = body(request, Set.of("daily_micros", "total_micros", "time_zone"));
            Long daily = body.budgetMicros("daily_micros");
            Long total = body.budgetMicros("total_micros");
            String zone = body.string("time_zone");
            Budget budget = budgets.set(campaign, daily, total, zone).orElse(null);
            return ResponseEntity.ok(CampaignInfo.of(catalog.campaign(campaign).orElseThrow(), prices.schedule(campaign), budget));
        });
    }

    private static PricingModel model(String text) {
        if (text == null) {
            throw new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", "model is required: CPM, CPC or CPA");
        }
        for (PricingModel m : PricingModel.values()) {
            if (m.name().equals(text)) {
                return m;
            }
        }
        throw new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", "model must be CPM, CPC or CPA");
    }

    @Operation(summary = "Add a signing key to a campaign (201): beacons signed with kid=<kid> are accepted from the gateways' next refresh",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = KeyBody.class))),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = KeyAnswer.class))),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "409", description = "the campaign already has this kid"),
                    @ApiResponse(responseCode = "422", description = "bad kid or secret")})
    @PostMapping("/campaigns/{id}/keys")
    public ResponseEntity<?> addKey(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                    HttpServletRequest request) {
        return answer(() -> {
            long campaign = id(id, "campaign");
            Body body = body(request, Set.of("kid", "secret"));
            String kid = body.string("kid");
            String secret = body.string("secret");
            if (kid == null) {
                return ApiErrors.error(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", "kid is required");
            }
            CatalogAdmin.Key key = catalog.addKey(campaign, kid, secret == null ? null : new Secret(secret));
            return ResponseEntity.created(URI.create("/api/v1/admin/catalog/campaigns/" + campaign)).body(KeyAnswer.of(campaign, key));
        });
    }

    @Operation(summary = "Retire a key now or at a given time (200); the campaign's last key without a retirement cannot be retired (409)",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = false, content = @Content(schema = @Schema(implementation = RetireBody.class))),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyAnswer.class))),
                    @ApiResponse(responseCode = "404", description = "no such campaign or key"),
                    @ApiResponse(responseCode = "409", description = "already retired, or the last key")})
    @PostMapping("/campaigns/{id}/keys/{kid}/retire")
    public ResponseEntity<?> retireKey(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                       @PathVariable("kid") String kid, HttpServletRequest request) {
        return answer(() -> {
            long campaign = id(id, "campaign");
            if (!CatalogAdmin.KID.matcher(kid).matches()) {
                throw new RequestRefusedException("kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
            }
            Body body = optionalBody(request, Set.of("at"));
            String at = body.string("at");
            Instant when = null;
            if (at != null) {
                try {
                    when = Instant.parse(at);
                } catch (DateTimeParseException e) {
                    return ApiErrors.error(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", "at must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z");
                }
            }
            return ResponseEntity.ok(KeyAnswer.of(campaign, catalog.retireKey(campaign, kid, when)));
        });
    }

    @Operation(summary = "Mark a key legacy (200): it also accepts v1 signatures (no type path) from the gateways' next refresh; "
            + "its v1 impressions and sales count, its v1 clicks only as suspect (unbound_type)",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyAnswer.class))),
                    @ApiResponse(responseCode = "404", description = "no such campaign or key")})
    @PutMapping("/campaigns/{id}/keys/{kid}/legacy")
    public ResponseEntity<?> markLegacy(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                        @PathVariable("kid") String kid) {
        return setLegacy(id, kid, true);
    }

    @Operation(summary = "Unmark a legacy key (200): from the gateways' next refresh it accepts v2 signatures only",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyAnswer.class))),
                    @ApiResponse(responseCode = "404", description = "no such campaign or key")})
    @DeleteMapping("/campaigns/{id}/keys/{kid}/legacy")
    public ResponseEntity<?> unmarkLegacy(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                          @PathVariable("kid") String kid) {
        return setLegacy(id, kid, false);
    }

    private ResponseEntity<?> setLegacy(String id, String kid, boolean legacy) {
        long campaign = id(id, "campaign");
        if (!CatalogAdmin.KID.matcher(kid).matches()) {
            throw new RequestRefusedException("kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
        }
        return ResponseEntity.ok(KeyAnswer.of(campaign, catalog.setLegacy(campaign, kid, legacy)));
    }

    // ---- banners and publishers -----------------------------------------------------------------

    @Operation(summary = "Create (201) or update (200) a banner; it stays in its campaign for life",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = BannerBody.class))),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = BannerInfo.class))),
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BannerInfo.class))),
                    @ApiResponse(responseCode = "422", description = "bad landing URL, unknown campaign, or another campaign than the banner's")})
    @PutMapping("/banners/{id}")
    public ResponseEntity<?> putBanner(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                       HttpServletRequest request) {
        return answer(() -> {
            long banner = id(id, "banner");
            Body body = body(request, Set.of("campaign", "landingUrl"));
            long campaign = body.id("campaign");
            CatalogAdmin.Saved<CatalogAdmin.BannerView> saved = catalog.putBanner(banner, campaign, body.string("landingUrl"));
            return saved(saved.created(), "/api/v1/admin/catalog/banners/" + banner, BannerInfo.of(saved.value()));
        });
    }

    @Operation(summary = "A banner", security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BannerInfo.class))))
    @GetMapping("/banners/{id}")
    public ResponseEntity<?> getBanner(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        return answer(() -> {
            long banner = id(id, "banner");
            return catalog.banner(banner).<ResponseEntity<?>>map(b -> ResponseEntity.ok(BannerInfo.of(b)))
                    .orElseGet(() -> notFound("no banner " + banner));
        });
    }

    @Operation(summary = "Create (201) or rename (200) a publisher",
            security = @SecurityRequirement(name = "admin"),
            requestBody = @RequestBody(required = true, content = @Content(schema = @Schema(implementation = PublisherBody.class))),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = PublisherInfo.class))),
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PublisherInfo.class)))})
    @PutMapping("/publishers/{id}")
    public ResponseEntity<?> putPublisher(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                          HttpServletRequest request) {
        return answer(() -> {
            long publisher = id(id, "publisher");
            Body body = body(request, Set.of("name"));
            CatalogAdmin.Saved<CatalogAdmin.PublisherView> saved = catalog.putPublisher(publisher, body.string("name"));
            return saved(saved.created(), "/api/v1/admin/catalog/publishers/" + publisher, PublisherInfo.of(saved.value()));
        });
    }

    @Operation(summary = "A publisher", security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PublisherInfo.class))))
    @GetMapping("/publishers/{id}")
    public ResponseEntity<?> getPublisher(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        return answer(() -> {
            long publisher = id(id, "publisher");
            return catalog.publisher(publisher).<ResponseEntity<?>>map(p -> ResponseEntity.ok(PublisherInfo.of(p)))
                    .orElseGet(() -> notFound("no publisher " + publisher));
        });
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private interface Action {
        ResponseEntity<?> run() throws IOException;
    }

    /** Runs an endpoint; its refusals (and the catalog's) are answered by {@link ApiErrors}. */
    private static ResponseEntity<?> answer(Action action) {
        try {
            return action.run();
        } catch (IOException e) {
            throw new RequestRefusedException("the request body could not be read");
        }
    }

    private static long id(String raw, String what) {
        if (raw == null || !ID.matcher(raw).matches()) {
            throw new RequestRefusedException(what + " id must be a positive integer");
        }
        return Long.parseLong(raw);
    }

    private static ResponseEntity<?> saved(boolean created, String location, Object body) {
        return created ? ResponseEntity.created(URI.create(location)).body(body) : ResponseEntity.ok(body);
    }

    private static ResponseEntity<?> notFound(String reason) {
        return ApiErrors.error(HttpStatus.NOT_FOUND, "not_found", reason);
    }

    /** A parsed JSON object body with only known fields; values are checked for type, never quoted. */
    private record Body(JsonNode node) {
        String string(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw new RequestRefusedException(field + " must be a string");
            }
            return v.textValue();
        }

        /** A whole number of micros: 422 when it is out of range (however large), 400 when it is not an integer. */
        long priceMicros(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                throw new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", field + " is required");
            }
            if (!v.isIntegralNumber()) {
                throw new RequestRefusedException(field + " must be an integer (micros of the currency)");
            }
            if (!v.canConvertToLong() || v.longValue() > Price.MAX_MICROS) {
                throw new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid",
                        field + " must be at most " + Price.MAX_MICROS + " (1,000,000,000 of the currency)");
            }
            return v.longValue(); // a negative one is refused by the price's own rules (422)
        }

        /** An optional whole number of micros: null when absent or null, 400 when not an integer, 422 when out of range. */
        Long budgetMicros(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isIntegralNumber()) {
                throw new RequestRefusedException(field + " must be an integer (micros of the currency) or null");
            }
            if (!v.canConvertToLong() || v.longValue() > Budget.MAX_MICROS || v.longValue() < 0) {
                throw new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid",
                        field + " must be from 0 to " + Budget.MAX_MICROS);
            }
            return v.longValue();
        }

        long id(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                throw new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", field + " is required");
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() <= 0) {
                throw new RequestRefusedException(field + " must be a positive integer");
            }
            return v.longValue();
        }
    }

    private static Body optionalBody(HttpServletRequest request, Set<String> fields) throws IOException {
        byte[] bytes = read(request);
        return isBlank(bytes) ? new Body(JSON.createObjectNode()) : parse(bytes, fields);
    }

    private static Body body(HttpServletRequest request, Set<String> fields) throws IOException {
        byte[] bytes = read(request);
        if (isBlank(bytes)) {
            throw new RequestRefusedException("the body must be a JSON object (Content-Type: application/json)");
        }
        return parse(bytes, fields);
    }

    private static Body parse(byte[] bytes, Set<String> fields) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new RequestRefusedException("the body is not UTF-8");
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending token, which may be (part of) a secret: position only.
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new RequestRefusedException("the body is not valid JSON" + where);
        }
        if (node == null || !node.isObject()) {
            throw new RequestRefusedException("the body must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            if (!fields.contains(names.next())) {
                throw new RequestRefusedException("unknown field; the fields are " + String.join(", ", fields.stream().sorted().toList()));
            }
        }
        return new Body(node);
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static byte[] read(HttpServletRequest request) throws IOException {
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            throw new RequestRefusedException(HttpStatus.PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        try (InputStream in = request.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new RequestRefusedException(HttpStatus.PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            return bytes;
        }
    }
}
