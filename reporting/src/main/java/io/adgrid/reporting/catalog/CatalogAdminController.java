package io.adgrid.reporting.catalog;

import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;
import io.adgrid.attribution.Attribution;
import io.adgrid.persister.catalog.CampaignBudgets;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.catalog.CatalogAdmin;
import io.adgrid.pricing.Budget;
import io.adgrid.reporting.pacing.PacingMonitor;
import io.adgrid.pricing.Micros;
import io.adgrid.pricing.Price;
import io.adgrid.pricing.PriceBook;
import io.adgrid.pricing.PricingModel;
import io.adgrid.persister.catalog.CatalogAdmin.Secret;
import io.adgrid.reporting.web.ApiErrors;
import io.adgrid.reporting.web.JsonBody;
import io.adgrid.reporting.web.RequestRefusedException;
import io.adgrid.reporting.web.StrictJsonBodies;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The catalog's admin API, behind the admin bearer token: campaigns (with their prices, budgets and click attribution), banners,
 * publishers and the campaigns' signing keys. The token is checked by {@code AdminAuthorization} before this controller
 * reads anything (path ids, body), so a request without it learns nothing and costs nothing. Bodies are request records read by
 * {@link StrictJsonBodies}, bounded and strict; every refusal (theirs, this controller's and the catalog's) is answered by
 * {@link ApiErrors}, by field or position only, so a secret in a malformed body is never echoed. Responses never carry a secret: a
 * campaign lists its keys' ids and dates.
 */
@RestController
@RequestMapping("/api/v1/admin/catalog")
public class CatalogAdminController {

    private static final Pattern ID = Pattern.compile("[1-9][0-9]{0,17}");

    private static final Logger log = LoggerFactory.getLogger(CatalogAdminController.class);
    private final CatalogAdmin catalog;
    private final CampaignPrices prices;
    private final CampaignBudgets budgets;
    private final ObjectProvider<PacingMonitor> pacing;

    public CatalogAdminController(CatalogAdmin catalog, CampaignPrices prices, CampaignBudgets budgets,
                                  ObjectProvider<PacingMonitor> pacing) {
        this.catalog = catalog;
        this.prices = prices;
        this.budgets = budgets;
        this.pacing = pacing;
    }

    // ---- the JSON the API speaks ----------------------------------------------------------------

    @Schema(description = "Create: name and secret required, currency defaults to USD. Update: name (and currency) only; a secret is refused")
    public record CampaignBody(String name, @Schema(example = "EUR") String currency,
                               @Schema(description = "the signing secret of key 0, at least 16 bytes; only when creating", writeOnly = true) String secret)
            implements JsonBody {
        @Override
        public String toString() {
            return "CampaignBody[name=" + name + ", currency=" + currency + ", secret=" + (secret == null ? "none" : "redacted") + "]";
        }
    }

    public record BannerBody(@Schema(format = "int64") @JsonBody.Expected("a positive integer") Long campaign,
                             @Schema(example = "https://example.com/landing") String landingUrl) implements JsonBody {
    }

    public record PublisherBody(String name) implements JsonBody {
    }

    public record KeyBody(@Schema(example = "k2") String kid,
                          @Schema(description = "at least 16 bytes", writeOnly = true) String secret) implements JsonBody {
        @Override
        public String toString() {
            return "KeyBody[kid=" + kid + ", secret=redacted]";
        }
    }

    public record RetireBody(@Schema(description = "ISO-8601 instant; default now", example = "2026-12-01T00:00:00Z") String at) implements JsonBody {
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
                               @Schema(description = "the campaign's own click parameter and attribution window; a null field is the deployment's setting")
                               AttributionInfo attribution,
                               @Schema(description = "the price in force now; null: none (the campaign's spend is 0)", nullable = true) PriceInfo pricing,
                               @Schema(description = "every price of the campaign, oldest first (past, current and scheduled)") List<PriceInfo> prices,
                               @Schema(description = "the campaign's budget; null: none (it is never exhausted)", nullable = true) BudgetInfo budget) {
        static CampaignInfo of(CatalogAdmin.CampaignView c, List<PriceBook.Period> schedule, Budget budget) {
            PriceBook.Period now = CampaignPrices.inForce(schedule, Instant.now());
            return new CampaignInfo(c.id(), c.name(), c.currency(), c.createdAt().toString(), c.updatedAt().toString(),
                    c.keys().stream().map(KeyInfo::of).toList(), AttributionInfo.of(c.attribution()), now == null ? null : PriceInfo.of(now),
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
                                     example = "20000000", type = "integer", format = "int64", nullable = true)
                             @JsonProperty("daily_micros") @JsonBody.Expected("an integer (micros of the currency) or null") BigInteger dailyMicros,
                             @Schema(description = "micros of the campaign's currency in all, 0 to 10^18; null: no total cap",
                                     example = "1000000000", type = "integer", format = "int64", nullable = true)
                             @JsonProperty("total_micros") @JsonBody.Expected("an integer (micros of the currency) or null") BigInteger totalMicros,
                             @Schema(description = "IANA region id of the budget's days; default UTC", example = "America/New_York")
                             @JsonProperty("time_zone") String timeZone) implements JsonBody {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "A campaign's own click attribution (issue 21); a null field is the deployment's setting "
            + "(ADGRID_ATTRIBUTION_CLICKPARAM, ADGRID_ATTRIBUTION_WINDOW)")
    public record AttributionInfo(@Schema(description = "the landing-URL parameter its click ids go in; null: the deployment's (agclid by default)",
                                          example = "sale_ref", nullable = true) @JsonProperty("click_param") String clickParam,
                                  @Schema(description = "how long after its click a sale posted by click id counts, e.g. 7d, 36h, 90m; "
                                          + "null: the deployment's (30d by default)", example = "7d", nullable = true) String window) {
        static AttributionInfo of(Attribution a) {
            return new AttributionInfo(a.clickParam(), a.window() == null ? null : Attribution.show(a.window()));
        }
    }

    @Schema(description = "A campaign's own click attribution, replaced whole: a null or absent field gives it the deployment's setting back")
    public record AttributionBody(@Schema(description = "the landing-URL parameter the /c redirect puts its click ids in; null: the deployment's",
                                          example = "sale_ref", pattern = "^[A-Za-z0-9_]{1,32}$", maxLength = 32, nullable = true)
                                  @JsonProperty("click_param") String clickParam,
                                  @Schema(description = "how long after its click a sale posted by click id counts: 1m to 366d, whole seconds, "
                                          + "as 30m, 36h, 7d, 90s or ISO-8601 (P7D, PT36H); null: the deployment's. "
                                          + "A postback meets the window in force when it arrives", example = "7d", nullable = true)
                                  String window) implements JsonBody {
    }

    @Schema(description = "A campaign's price from a UTC date")
    public record PricingBody(@Schema(allowableValues = {"CPM", "CPC", "CPA"}, requiredMode = Schema.RequiredMode.REQUIRED) String model,
                              @Schema(description = "micros of the campaign's currency, 0 to 10^15; a CPM price is a multiple of 1000 "
                                      + "(at most 3 decimals per thousand impressions)", example = "2500000", type = "integer",
                                      format = "int64", requiredMode = Schema.RequiredMode.REQUIRED)
                              @JsonProperty("price_micros") @JsonBody.Expected("an integer (micros of the currency)") BigInteger priceMicros,
                              @Schema(description = "UTC date (YYYY-MM-DD) from whose midnight the price is in force; default: "
                                      + "the campaign's first price covers all its history, a later one starts tomorrow (UTC)",
                                      example = "2026-12-07") String from) implements JsonBody {
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
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, or a secret on an update"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "422", description = "a value breaks a rule")})
    @PutMapping("/campaigns/{id}")
    public ResponseEntity<?> putCampaign(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                         @RequestBody CampaignBody body) {
        long campaign = id(id, "campaign");
        CatalogAdmin.Saved<CatalogAdmin.CampaignView> saved =
                catalog.putCampaign(campaign, body.name(), body.currency(), body.secret() == null ? null : new Secret(body.secret()));
        return saved(saved.created(), "/api/v1/admin/catalog/campaigns/" + campaign, CampaignInfo.of(saved.value(), prices.schedule(campaign),
                budgets.get(campaign).orElse(null)));
    }

    @Operation(summary = "A campaign with its keys' ids, creation and retirement (never the secrets)",
            security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CampaignInfo.class))))
    @GetMapping("/campaigns/{id}")
    public ResponseEntity<?> getCampaign(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        long campaign = id(id, "campaign");
        return ResponseEntity.ok(CampaignInfo.of(catalog.campaign(campaign).orElseThrow(() -> notFound("no campaign " + campaign)),
                prices.schedule(campaign), budgets.get(campaign).orElse(null)));
    }

    @Operation(summary = "Set a campaign's price (200) from a UTC date: CPM, CPC or CPA, in micros of its currency; reports bill each "
            + "counter at the price in force at its time. Setting a price for a date that has one replaces it",
            security = @SecurityRequirement(name = "admin"),
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
                                        @RequestBody PricingBody body) {
        long campaign = id(id, "campaign");
        PricingModel model = model(body.model());
        long micros = priceMicros(body.priceMicros());
        LocalDate day = null;
        if (body.from() != null) {
            try {
                day = LocalDate.parse(body.from());
            } catch (DateTimeParseException e) {
                throw invalid("from must be a UTC date, e.g. 2026-12-07");
            }
        }
        List<PriceBook.Period> schedule = prices.set(campaign, model, micros, day);
        return ResponseEntity.ok(CampaignInfo.of(catalog.campaign(campaign).orElseThrow(), schedule, budgets.get(campaign).orElse(null)));
    }

    @Operation(summary = "Set (200) a campaign's budget: a daily cap (its days in time_zone) and/or a total cap, in micros of its currency. "
            + "Billing stops at a cap: the events beyond it are counted as over_budget and never billed. Both caps null remove the budget",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the campaign with its budget",
                            content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, a cap that is not an integer, a time_zone that is not a string"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "422", description = "a negative or too large cap, an unknown time zone or a bare offset")})
    @PutMapping("/campaigns/{id}/budget")
    public ResponseEntity<?> putBudget(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                       @RequestBody BudgetBody body) {
        long campaign = id(id, "campaign");
        Budget budget = budgets.set(campaign, budgetMicros("daily_micros", body.dailyMicros()),
                budgetMicros("total_micros", body.totalMicros()), body.timeZone()).orElse(null);
        refreshPacing();
        return ResponseEntity.ok(CampaignInfo.of(catalog.campaign(campaign).orElseThrow(), prices.schedule(campaign), budget));
    }

    @Operation(summary = "Set (200) a campaign's own click parameter and attribution window (issue 21), replaced whole: a null or absent "
            + "field is the deployment's setting. Gateways apply it at their next catalog refresh; a sale posted by click id meets the "
            + "window in force when it arrives, so a shorter window also refuses clicks made before the change",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the campaign with its attribution",
                            content = @Content(schema = @Schema(implementation = CampaignInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, a click_param or window that is not a string"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "422", description = "a click_param that is not 1-32 characters of A-Z a-z 0-9 _, a window "
                            + "that is not a duration, not whole seconds, or outside 1m to 366d")})
    @PutMapping("/campaigns/{id}/attribution")
    public ResponseEntity<?> putAttribution(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                            @RequestBody AttributionBody body) {
        long campaign = id(id, "campaign");
        String nameProblem = Attribution.clickParamProblem(body.clickParam());
        if (nameProblem != null) {
            throw invalid(nameProblem);
        }
        Duration window = null;
        if (body.window() != null) {
            window = Attribution.parseWindow(body.window());
            if (window == null) {
                throw invalid("window must be a duration like 30m, 36h, 7d or P7D (1m to 366d)");
            }
            String windowProblem = Attribution.windowProblem(window);
            if (windowProblem != null) {
                throw invalid(windowProblem);
            }
        }
        CatalogAdmin.CampaignView saved = catalog.setAttribution(campaign, new Attribution(body.clickParam(), window));
        return ResponseEntity.ok(CampaignInfo.of(saved, prices.schedule(campaign), budgets.get(campaign).orElse(null)));
    }

    private static PricingModel model(String text) {
        if (text == null) {
            throw invalid("model is required: CPM, CPC or CPA");
        }
        for (PricingModel m : PricingModel.values()) {
            if (m.name().equals(text)) {
                return m;
            }
        }
        throw invalid("model must be CPM, CPC or CPA");
    }

    /** A whole number of micros, read as a BigInteger so that one out of range (however large) is a 422, not a 400. */
    private static long priceMicros(BigInteger micros) {
        if (micros == null) {
            throw invalid("price_micros is required");
        }
        if (micros.bitLength() > 63 || micros.longValue() > Price.MAX_MICROS) {
            throw invalid("price_micros must be at most " + Price.MAX_MICROS + " (1,000,000,000 of the currency)");
        }
        return micros.longValue(); // a negative one is refused by the price's own rules (422)
    }

    @Operation(summary = "Add a signing key to a campaign (201): beacons signed with kid=<kid> are accepted from the gateways' next refresh",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = KeyAnswer.class))),
                    @ApiResponse(responseCode = "404", description = "no such campaign"),
                    @ApiResponse(responseCode = "409", description = "the campaign already has this kid"),
                    @ApiResponse(responseCode = "422", description = "bad kid or secret")})
    @PostMapping("/campaigns/{id}/keys")
    public ResponseEntity<?> addKey(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                    @RequestBody KeyBody body) {
        long campaign = id(id, "campaign");
        if (body.kid() == null) {
            throw invalid("kid is required");
        }
        CatalogAdmin.Key key = catalog.addKey(campaign, body.kid(), body.secret() == null ? null : new Secret(body.secret()));
        return ResponseEntity.created(URI.create("/api/v1/admin/catalog/campaigns/" + campaign)).body(KeyAnswer.of(campaign, key));
    }

    @Operation(summary = "Retire a key now or at a given time (200); the campaign's last key without a retirement cannot be retired (409)",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyAnswer.class))),
                    @ApiResponse(responseCode = "404", description = "no such campaign or key"),
                    @ApiResponse(responseCode = "409", description = "already retired, or the last key")})
    @PostMapping("/campaigns/{id}/keys/{kid}/retire")
    public ResponseEntity<?> retireKey(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                       @PathVariable("kid") String kid, @RequestBody(required = false) RetireBody body) {
        long campaign = id(id, "campaign");
        kid(kid);
        Instant when = null;
        if (body != null && body.at() != null) {
            try {
                when = Instant.parse(body.at());
            } catch (DateTimeParseException e) {
                throw invalid("at must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z");
            }
        }
        return ResponseEntity.ok(KeyAnswer.of(campaign, catalog.retireKey(campaign, kid, when)));
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
        kid(kid);
        return ResponseEntity.ok(KeyAnswer.of(campaign, catalog.setLegacy(campaign, kid, legacy)));
    }

    // ---- banners and publishers -----------------------------------------------------------------

    @Operation(summary = "Create (201) or update (200) a banner; it stays in its campaign for life",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = BannerInfo.class))),
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BannerInfo.class))),
                    @ApiResponse(responseCode = "422", description = "bad landing URL, unknown campaign, or another campaign than the banner's")})
    @PutMapping("/banners/{id}")
    public ResponseEntity<?> putBanner(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                       @RequestBody BannerBody body) {
        long banner = id(id, "banner");
        if (body.campaign() == null) {
            throw invalid("campaign is required");
        }
        if (body.campaign() <= 0) {
            throw new RequestRefusedException("campaign must be a positive integer");
        }
        CatalogAdmin.Saved<CatalogAdmin.BannerView> saved = catalog.putBanner(banner, body.campaign(), body.landingUrl());
        return saved(saved.created(), "/api/v1/admin/catalog/banners/" + banner, BannerInfo.of(saved.value()));
    }

    @Operation(summary = "A banner", security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BannerInfo.class))))
    @GetMapping("/banners/{id}")
    public ResponseEntity<?> getBanner(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        long banner = id(id, "banner");
        return ResponseEntity.ok(BannerInfo.of(catalog.banner(banner).orElseThrow(() -> notFound("no banner " + banner))));
    }

    @Operation(summary = "Create (201) or rename (200) a publisher",
            security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = PublisherInfo.class))),
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PublisherInfo.class)))})
    @PutMapping("/publishers/{id}")
    public ResponseEntity<?> putPublisher(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id,
                                          @RequestBody PublisherBody body) {
        long publisher = id(id, "publisher");
        CatalogAdmin.Saved<CatalogAdmin.PublisherView> saved = catalog.putPublisher(publisher, body.name());
        return saved(saved.created(), "/api/v1/admin/catalog/publishers/" + publisher, PublisherInfo.of(saved.value()));
    }

    @Operation(summary = "A publisher", security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PublisherInfo.class))))
    @GetMapping("/publishers/{id}")
    public ResponseEntity<?> getPublisher(@Parameter(schema = @Schema(type = "integer", format = "int64")) @PathVariable("id") String id) {
        long publisher = id(id, "publisher");
        return ResponseEntity.ok(PublisherInfo.of(catalog.publisher(publisher).orElseThrow(() -> notFound("no publisher " + publisher))));
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private static long id(String raw, String what) {
        if (raw == null || !ID.matcher(raw).matches()) {
            throw new RequestRefusedException(what + " id must be a positive integer");
        }
        return Long.parseLong(raw);
    }

    private static void kid(String kid) {
        if (!CatalogAdmin.KID.matcher(kid).matches()) {
            throw new RequestRefusedException("kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
        }
    }

    private static ResponseEntity<?> saved(boolean created, String location, Object body) {
        return created ? ResponseEntity.created(URI.create(location)).body(body) : ResponseEntity.ok(body);
    }

    private static RequestRefusedException notFound(String reason) {
        return new RequestRefusedException(HttpStatus.NOT_FOUND, "not_found", reason);
    }

    private static RequestRefusedException invalid(String reason) {
        return new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", reason);
    }

    /** An optional cap: null when absent, 422 when negative or over {@link Budget#MAX_MICROS} (however large). */
    private static Long budgetMicros(String field, BigInteger micros) {
        if (micros == null) {
            return null;
        }
        if (micros.signum() < 0 || micros.bitLength() > 63 || micros.longValue() > Budget.MAX_MICROS) {
            throw invalid(field + " must be from 0 to " + Budget.MAX_MICROS);
        }
        return micros.longValue();
    }

    /**
     * Recomputes this process's pacing now, so that its list and stream know a budget just set or
     * removed when this answer leaves (other reporting processes see it at their next refresh,
     * ADGRID_PACING_INTERVAL). The budget is stored either way: a refresh that fails is logged.
     */
    private void refreshPacing() {
        PacingMonitor monitor = pacing.getIfAvailable();
        if (monitor == null) {
            return;
        }
        try {
            monitor.refresh();
        } catch (RuntimeException e) {
            log.warn("pacing: refresh after a budget change failed, the next scheduled one retries: {}", e.toString());
        }
    }
}
