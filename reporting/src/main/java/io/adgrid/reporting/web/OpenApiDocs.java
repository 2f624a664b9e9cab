package io.adgrid.reporting.web;

import java.util.List;
import java.util.Map;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.oas.models.tags.Tag;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI description at {@code /v3/api-docs}, made fit for generating clients: title,
 * version, the admin bearer scheme on the admin operations only (the others say so with an empty
 * {@code security}), and every operation's error answers with the {@link ApiError} schema.
 * Linted with Redocly ({@code ops/openapi/lint.sh}).
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiDocs {

    /** Version of the HTTP API (its paths are {@code /api/v1}), not of the build. */
    public static final String API_VERSION = "1.1.0";
    public static final String ADMIN_SCHEME = "admin";
    private static final String ERROR = "#/components/schemas/ApiError";

    @Bean
    OpenAPI adgridOpenApi() {
        return new OpenAPI()
                .info(new Info().title("AdGrid reporting API").version(API_VERSION)
                        .description("""
                                Reports over AdGrid's counted ad events (impressions, clicks, suspect clicks, conversions, revenue) \
                                per time bucket and top lists, exact and live (PostgreSQL plus the counts still in the grid); \
                                the admin operations (flush, catalog) need the admin bearer token (ADGRID_ADMIN_TOKEN or var/admin.token). \
                                Errors are JSON: {"status":..., "error":..., "reason":...}; 503 means a backend is down, retry after Retry-After."""))
                .servers(List.of(new Server().url("http://localhost:8081").description("./adgrid run (reporting port)")))
                .tags(List.of(new Tag().name("reports").description("Stats and top lists"),
                        new Tag().name("admin").description("Operator endpoints, behind the admin token"),
                        new Tag().name("ops").description("The dashboard's data")))
                .components(new Components()
                        .addSecuritySchemes(ADMIN_SCHEME, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("The admin token (ADGRID_ADMIN_TOKEN, or var/admin.token)")));
    }

    private static Schema<?> apiError() {
        return new Schema<>().type("object").description("Every error answer of the API")
                .addProperty("status", new IntegerSchema().format("int32").example(400))
                .addProperty("error", new Schema<String>().type("string").example("bad_request"))
                .addProperty("reason", new Schema<String>().type("string").example("from must be before to"))
                .required(List.of("status", "error", "reason"));
    }

    /** Security, tags and error answers of every operation, from its path and shape. */
    @Bean
    OpenApiCustomizer adgridOperations() {
        return api -> {
            // Added here: springdoc replaces the schemas of the OpenAPI bean with the ones it finds.
            api.getComponents().addSchemas("ApiError", apiError());
            for (Map.Entry<String, PathItem> path : api.getPaths().entrySet()) {
                boolean admin = path.getKey().startsWith("/api/v1/admin/");
                for (Map.Entry<PathItem.HttpMethod, Operation> e : path.getValue().readOperationsMap().entrySet()) {
                    document(path.getKey(), admin, e.getValue());
                }
            }
        };
    }

    private static void document(String path, boolean admin, Operation op) {
        // The token is the security scheme's business, Accept the media types'; neither is a parameter to generate.
        if (op.getParameters() != null) {
            op.getParameters().removeIf(p -> "header".equals(p.getIn())
                    && List.of("authorization", "accept").contains(p.getName().toLowerCase()));
            if (op.getParameters().isEmpty()) {
                op.setParameters(null);
            }
        }
        op.setTags(List.of(admin ? "admin" : path.startsWith("/api/v1/ops") ? "ops" : "reports"));
        op.setSecurity(admin ? List.of(new SecurityRequirement().addList(ADMIN_SCHEME)) : List.of());
        ApiResponses responses = op.getResponses();
        boolean takesInput = op.getParameters() != null || op.getRequestBody() != null;
        if (takesInput) {
            error(responses, "400", "A malformed request: a parameter or body that cannot be read (the reason says which)");
        }
        if (admin) {
            error(responses, "401", "No or a wrong admin token");
        }
        if (path.contains("{")) {
            error(responses, "404", "No such item");
        }
        if (op.getRequestBody() != null) {
            error(responses, "413", "The body is larger than the limit");
            error(responses, "422", "A value breaks a rule (the reason says which)");
        }
        ApiResponse unavailable = error(responses, "503", "A backend (PostgreSQL or the grid) is unavailable; retry after Retry-After");
        unavailable.addHeaderObject("Retry-After", new Header().description("seconds").schema(new IntegerSchema()));
        responses.forEach((code, r) -> {
            if (r.getDescription() == null || r.getDescription().isBlank()) {
                r.setDescription(code.startsWith("2") ? "OK" : "Error");
            }
        });
    }

    /** Adds the error answer {@code code}, or gives an existing one the error schema and a description. */
    private static ApiResponse error(ApiResponses responses, String code, String description) {
        ApiResponse r = responses.computeIfAbsent(code, c -> new ApiResponse().description(description));
        if (r.getDescription() == null || r.getDescription().isBlank()) {
            r.setDescription(description);
        }
        if (r.getContent() == null || r.getContent().isEmpty()) {
            r.setContent(new Content().addMediaType("application/json", new MediaType().schema(new Schema<>().$ref(ERROR))));
        }
        return r;
    }
}
