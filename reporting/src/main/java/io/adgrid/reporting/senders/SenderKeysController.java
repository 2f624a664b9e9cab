package io.adgrid.reporting.senders;

import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.persister.catalog.CatalogAdmin;
import io.adgrid.persister.catalog.CatalogAdmin.Secret;
import io.adgrid.persister.catalog.SenderKeys;
import io.adgrid.reporting.web.ApiErrors;
import io.adgrid.reporting.web.JsonBody;
import io.adgrid.reporting.web.RequestRefusedException;
import io.adgrid.reporting.web.StrictJsonBodies;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Sender keys (issue 23), behind the admin bearer token: keys that sign a whole {@code POST /events}
 * request ({@code X-AdGrid-Signature}), each with the campaigns whose banners its requests may carry.
 * A key's secret is in the answer of the create or rotate that made it, and nowhere else: a list or a
 * read shows ids, campaigns and dates. Bodies are read by {@link StrictJsonBodies}, refusals answered by
 * {@link ApiErrors}, as in the catalog's admin API. Gateways apply every change at their next catalog refresh.
 */
@RestController
@RequestMapping("/api/v1/admin/sender-keys")
public class SenderKeysController {

    private final SenderKeys keys;

    public SenderKeysController(SenderKeys keys) {
        this.keys = keys;
    }

    // ---- the JSON the API speaks ----------------------------------------------------------------

    @Schema(description = "A new sender key: its id, the campaigns its requests may carry, and optionally its secret (else generated)")
    public record CreateBody(@Schema(example = "ad-server-1", pattern = "^[A-Za-z0-9._:-]{1,32}$", requiredMode = Schema.RequiredMode.REQUIRED)
                             String kid,
                             @ArraySchema(schema = @Schema(type = "integer", format = "int64"), minItems = 1, maxItems = 10_000,
                                     arraySchema = @Schema(description = "ids of existing campaigns, each once", example = "[7, 8]",
                                             requiredMode = Schema.RequiredMode.REQUIRED))
                             @JsonBody.Expected("a list of campaign ids (integers)") List<BigInteger> campaigns,
                             @Schema(description = "16 to 1024 bytes; default: 32 random bytes, base64url (43 characters), generated here",
                                     writeOnly = true) String secret) implements JsonBody {
        @Override
        public String toString() {
            return "CreateBody[kid=" + kid + ", campaigns=" + campaigns + ", secret=" + (secret == null ? "none" : "redacted") + "]";
        }
    }

    @Schema(description = "A sender key's campaign list, replaced whole")
    public record CampaignsBody(@ArraySchema(schema = @Schema(type = "integer", format = "int64"), minItems = 1, maxItems = 10_000,
                                        arraySchema = @Schema(example = "[7, 8]", requiredMode = Schema.RequiredMode.REQUIRED))
                                @JsonBody.Expected("a list of campaign ids (integers)") List<BigInteger> campaigns) implements JsonBody {
    }

    @Schema(description = "A rotation: the new secret (else generated) and how long the one it replaces still signs")
    public record RotateBody(@Schema(description = "16 to 1024 bytes; default: generated", writeOnly = true) String secret,
                             @Schema(description = "seconds the previous secret still signs, 0 to 604800 (7 days); default 3600",
                                     example = "3600", type = "integer", format = "int64")
                             @JsonProperty("overlap_seconds") @JsonBody.Expected("an integer (seconds)") BigInteger overlapSeconds)
            implements JsonBody {
        @Override
        public String toString() {
            return "RotateBody[secret=" + (secret == null ? "none" : "redacted") + ", overlap_seconds=" + overlapSeconds + "]";
        }
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "A sender key, never its secret")
    public record KeyInfo(String kid, @Schema(description = "campaign ids, ascending") List<Long> campaigns,
                          @JsonProperty("created_at") String createdAt,
                          @Schema(nullable = true) @JsonProperty("rotated_at") String rotatedAt,
                          @Schema(description = "until when the secret before the last rotation still signs; null: it does not", nullable = true)
                          @JsonProperty("previous_until") String previousUntil,
                          @Schema(nullable = true) @JsonProperty("disabled_at") String disabledAt,
                          @Schema(description = "signs requests: not disabled") boolean active) {
        static KeyInfo of(SenderKeys.View v) {
            return new KeyInfo(v.kid(), v.campaigns(), v.createdAt().toString(), text(v.rotatedAt()), text(v.previousUntil()), text(v.disabledAt()),
                    v.disabledAt() == null);
        }

        private static String text(Instant i) {
            return i == null ? null : i.toString();
        }
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "A sender key with the secret that now signs: shown in this answer only, keep it")
    public record KeyWithSecret(String kid, List<Long> campaigns, @JsonProperty("created_at") String createdAt,
                                @Schema(nullable = true) @JsonProperty("rotated_at") String rotatedAt,
                                @Schema(nullable = true) @JsonProperty("previous_until") String previousUntil,
                                @Schema(description = "the HMAC-SHA256 key is this string's UTF-8 bytes") String secret) {
        static KeyWithSecret of(SenderKeys.WithSecret w) {
            KeyInfo i = KeyInfo.of(w.key());
            return new KeyWithSecret(i.kid(), i.campaigns(), i.createdAt(), i.rotatedAt(), i.previousUntil(), w.secret().value());
        }

        @Override
        public String toString() {
            return "KeyWithSecret[kid=" + kid + ", secret=redacted]";
        }
    }

    public record KeyList(List<KeyInfo> keys) {
    }

    // ---- endpoints ------------------------------------------------------------------------------

    @Operation(summary = "Create a sender key (201); its secret is in this answer only. Gateways accept requests signed with it from "
            + "their next catalog refresh", security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = KeyWithSecret.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, a value of the wrong type"),
                    @ApiResponse(responseCode = "401", description = "no or wrong admin token"),
                    @ApiResponse(responseCode = "409", description = "a sender key with this kid exists"),
                    @ApiResponse(responseCode = "422", description = "a bad kid or secret; no campaigns, an unknown or repeated one")})
    @PostMapping
    public ResponseEntity<?> create(@RequestBody CreateBody body) {
        if (body.kid() == null) {
            throw invalid("kid is required");
        }
        SenderKeys.WithSecret created = keys.create(body.kid(), body.secret() == null ? null : new Secret(body.secret()), ids(body.campaigns()));
        return ResponseEntity.created(URI.create("/api/v1/admin/sender-keys/" + body.kid())).body(KeyWithSecret.of(created));
    }

    @Operation(summary = "Every sender key, by kid (never a secret)", security = @SecurityRequirement(name = "admin"),
            responses = @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyList.class))))
    @GetMapping
    public ResponseEntity<?> list() {
        return ResponseEntity.ok(new KeyList(keys.list().stream().map(KeyInfo::of).toList()));
    }

    @Operation(summary = "A sender key (never its secret)", security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyInfo.class))),
                    @ApiResponse(responseCode = "404", description = "no such sender key")})
    @GetMapping("/{kid}")
    public ResponseEntity<?> get(@PathVariable("kid") String kid) {
        kid(kid);
        return ResponseEntity.ok(KeyInfo.of(keys.get(kid).orElseThrow(() -> new RequestRefusedException(HttpStatus.NOT_FOUND, "not_found",
                "no sender key " + kid))));
    }

    @Operation(summary = "Replace a sender key's campaign list (200); from the gateways' next refresh its requests' lines of other "
            + "campaigns are refused (403 campaign_not_allowed, line by line)", security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyInfo.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, campaigns not a list of integers"),
                    @ApiResponse(responseCode = "404", description = "no such sender key"),
                    @ApiResponse(responseCode = "422", description = "no campaigns, an unknown or repeated one")})
    @PutMapping("/{kid}/campaigns")
    public ResponseEntity<?> campaigns(@PathVariable("kid") String kid, @RequestBody CampaignsBody body) {
        kid(kid);
        return ResponseEntity.ok(KeyInfo.of(keys.setCampaigns(kid, ids(body.campaigns()))));
    }

    @Operation(summary = "Rotate a sender key (200): a new secret, in this answer only; the one it replaces still signs for "
            + "overlap_seconds (default 3600), the one before that no longer does", security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyWithSecret.class))),
                    @ApiResponse(responseCode = "400", description = "bad JSON, an unknown field, a value of the wrong type"),
                    @ApiResponse(responseCode = "404", description = "no such sender key"),
                    @ApiResponse(responseCode = "409", description = "the key is disabled"),
                    @ApiResponse(responseCode = "422", description = "a bad secret or overlap")})
    @PostMapping("/{kid}/rotate")
    public ResponseEntity<?> rotate(@PathVariable("kid") String kid, @RequestBody(required = false) RotateBody body) {
        kid(kid);
        Secret secret = body == null || body.secret() == null ? null : new Secret(body.secret());
        Duration overlap = null;
        if (body != null && body.overlapSeconds() != null) {
            BigInteger s = body.overlapSeconds();
            if (s.signum() < 0 || s.compareTo(BigInteger.valueOf(SenderKeys.MAX_OVERLAP.toSeconds())) > 0) {
                throw invalid("overlap_seconds must be from 0 to " + SenderKeys.MAX_OVERLAP.toSeconds());
            }
            overlap = Duration.ofSeconds(s.longValueExact());
        }
        return ResponseEntity.ok(KeyWithSecret.of(keys.rotate(kid, secret, overlap)));
    }

    @Operation(summary = "Disable a sender key for good (200): from the gateways' next refresh its requests are refused "
            + "(403 disabled_sender_key)", security = @SecurityRequirement(name = "admin"),
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = KeyInfo.class))),
                    @ApiResponse(responseCode = "404", description = "no such sender key"),
                    @ApiResponse(responseCode = "409", description = "already disabled")})
    @PostMapping("/{kid}/disable")
    public ResponseEntity<?> disable(@PathVariable("kid") String kid) {
        kid(kid);
        return ResponseEntity.ok(KeyInfo.of(keys.disable(kid)));
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private static void kid(String kid) {
        if (!CatalogAdmin.KID.matcher(kid).matches()) {
            throw new RequestRefusedException("kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
        }
    }

    /** Campaign ids as longs; one out of range (however large) is a 422, as is a missing list. */
    private static List<Long> ids(List<BigInteger> campaigns) {
        if (campaigns == null) {
            throw invalid("campaigns is required: a list of campaign ids");
        }
        List<Long> out = new ArrayList<>(campaigns.size());
        for (BigInteger id : campaigns) {
            if (id == null || id.signum() <= 0 || id.bitLength() > 63) {
                throw invalid("campaigns must be positive campaign ids");
            }
            out.add(id.longValue());
        }
        return out;
    }

    private static RequestRefusedException invalid(String reason) {
        return new RequestRefusedException(HttpStatus.UNPROCESSABLE_ENTITY, "invalid", reason);
    }
}
