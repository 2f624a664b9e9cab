package io.adgrid.reporting.senders;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.catalog.SenderKeys;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.reporting.admin.AdminAuthorization;
import io.adgrid.reporting.admin.AdminToken;
import io.adgrid.reporting.web.ApiErrors;
import io.adgrid.reporting.web.StrictJsonBodies;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The sender keys' admin API (issue 23) over real HTTP on a real PostgreSQL: the token first, then
 * create (201, the secret once), list and read without secrets, rotate, replace the campaigns,
 * disable, and the precise 400/404/409/422 of bad requests; a secret never in any other answer or in
 * the process's output, DEBUG logging included.
 */
@ExtendWith(OutputCaptureExtension.class)
class SenderKeysControllerIT {

    private static final String TOKEN = "sender-keys-test-token";
    private static final String SECRET = "S3cretOfSenderKeyOneXyzzy";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static TestDatabase db;
    private static ConfigurableApplicationContext app;
    private static String base;

    /** Answers that must not carry a secret (every one but a create's or a rotate's). */
    private final List<HttpResponse<String>> answers = new ArrayList<>();
    private final List<String> secrets = new ArrayList<>(List.of(SECRET));

    @SpringBootConfiguration
    @EnableAutoConfiguration(exclude = {HazelcastAutoConfiguration.class, DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class})
    @Import({SenderKeysController.class, ApiErrors.class, StrictJsonBodies.class, io.adgrid.reporting.web.OpenApiDocs.class})
    static class TestApp {
        @Bean
        AdminAuthorization adminAuthorization() {
            return new AdminAuthorization(AdminToken.of(TOKEN));
        }

        @Bean
        SenderKeys senderKeys() {
            return new SenderKeys(db.dataSource());
        }
    }

    @BeforeAll
    static void start() {
        db = TestDatabase.start();
        app = new SpringApplicationBuilder(TestApp.class).web(WebApplicationType.SERVLET)
                .properties("server.port=0", "spring.main.banner-mode=off", "management.endpoints.enabled-by-default=false",
                        "logging.level.org.springframework.web=DEBUG", "logging.level.io.adgrid=DEBUG",
                        "springdoc.api-docs.path=/v3/api-docs")
                .run();
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void catalog() {
        db.sql("TRUNCATE sender_key CASCADE");
        db.sql("TRUNCATE campaign_budget, campaign_price, campaign_secret, banner, publisher, campaign, catalog_deletion");
        DemoCatalog.seedIfEmpty(db.dataSource());
    }

    @AfterEach
    void noOtherAnswerCarriedASecret(CapturedOutput output) {
        for (HttpResponse<String> r : answers) {
            for (String s : secrets) {
                assertThat(r.body()).as(r.request().uri().toString()).doesNotContain(s);
            }
        }
        for (String s : secrets) {
            assertThat(output.getAll()).doesNotContain(s);
        }
    }

    @Test
    void everyEndpointAnswers401WithoutTheTokenAndChangesNothing() throws Exception {
        for (String token : new String[] {null, "", "Bearer wrong", "Basic " + TOKEN, TOKEN}) {
            assertThat(send("POST", "/api/v1/admin/sender-keys", "{\"kid\":\"s1\",\"campaigns\":[7]}", token).statusCode()).as(token).isEqualTo(401);
            assertThat(send("GET", "/api/v1/admin/sender-keys", null, token).statusCode()).isEqualTo(401);
            assertThat(send("GET", "/api/v1/admin/sender-keys/s1", null, token).statusCode()).isEqualTo(401);
            assertThat(send("PUT", "/api/v1/admin/sender-keys/s1/campaigns", "{\"campaigns\":[7]}", token).statusCode()).isEqualTo(401);
            assertThat(send("POST", "/api/v1/admin/sender-keys/s1/rotate", "{}", token).statusCode()).isEqualTo(401);
            assertThat(send("POST", "/api/v1/admin/sender-keys/s1/disable", null, token).statusCode()).isEqualTo(401);
            assertThat(send("POST", "/api/v1/admin/sender-keys/%20bad/disable", "{not json", token).statusCode()).isEqualTo(401);
        }
        assertThat(db.sqlLong("SELECT count(*) FROM sender_key")).isZero();
    }

    @Test
    void aKeyIsCreatedListedRotatedRepointedAndDisabledShowingItsSecretOnlyWhenMade() throws Exception {
        HttpResponse<String> created = admin("POST", "", "{\"kid\":\"ad-server-1\",\"campaigns\":[8,7]}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/admin/sender-keys/ad-server-1");
        JsonNode c = json(created);
        String secret = c.get("secret").asText();
        secrets.add(secret);
        answers.remove(created);
        assertThat(secret).matches("[A-Za-z0-9_-]{43}");
        assertThat(c.get("campaigns")).extracting(JsonNode::asLong).containsExactly(7L, 8L);
        Instant.parse(c.get("created_at").asText());

        HttpResponse<String> supplied = admin("POST", "", "{\"kid\":\"ad-server-2\",\"campaigns\":[1],\"secret\":\"" + SECRET + "\"}");
        answers.remove(supplied);
        assertThat(json(supplied).get("secret").asText()).isEqualTo(SECRET);

        JsonNode list = json(admin("GET", "", null));
        assertThat(list.get("keys")).extracting(k -> k.get("kid").asText()).containsExactly("ad-server-1", "ad-server-2");
        assertThat(list.get("keys").get(0).has("secret")).isFalse();
        assertThat(list.get("keys").get(0).get("active").asBoolean()).isTrue();
        assertThat(json(admin("GET", "/ad-server-1", null)).get("campaigns")).extracting(JsonNode::asLong).containsExactly(7L, 8L);

        HttpResponse<String> rotated = admin("POST", "/ad-server-1/rotate", "{\"overlap_seconds\":600}");
        answers.remove(rotated);
        assertThat(rotated.statusCode()).isEqualTo(200);
        JsonNode r = json(rotated);
        secrets.add(r.get("secret").asText());
        assertThat(r.get("secret").asText()).isNotEqualTo(secret).matches("[A-Za-z0-9_-]{43}");
        assertThat(Instant.parse(r.get("previous_until").asText())).isAfter(Instant.parse(r.get("rotated_at").asText()).plusSeconds(590));
        assertThat(db.sqlString("SELECT previous_secret FROM sender_key WHERE kid = 'ad-server-1'")).isEqualTo(secret);

        JsonNode repointed = json(admin("PUT", "/ad-server-1/campaigns", "{\"campaigns\":[3]}"));
        assertThat(repointed.get("campaigns")).extracting(JsonNode::asLong).containsExactly(3L);

        JsonNode disabled = json(admin("POST", "/ad-server-1/disable", null));
        assertThat(disabled.get("active").asBoolean()).isFalse();
        Instant.parse(disabled.get("disabled_at").asText());
        assertError(admin("POST", "/ad-server-1/disable", null), 409, "conflict", "already disabled");
        assertError(admin("POST", "/ad-server-1/rotate", "{}"), 409, "conflict", "disabled");
    }

    @Test
    void badRequestsGetTheirPreciseAnswer() throws Exception {
        admin("POST", "", "{\"kid\":\"s1\",\"campaigns\":[7]}").body();
        answers.clear(); // its secret is in that answer
        assertError(admin("POST", "", "{\"kid\":\"s1\",\"campaigns\":[7]}"), 409, "conflict", "exists");
        assertThat(admin("POST", "", "{\"kid\":\"s1\",\"campaigns\":[7]}").body()).doesNotContain("secret");

        for (String body : new String[] {"{not json", "[]", "{\"kid\":\"s2\",\"campaigns\":[7],\"extra\":1}", "{\"kid\":\"s2\",\"campaigns\":\"7\"}",
                "{\"kid\":\"s2\",\"campaigns\":[\"7\"]}", "{\"kid\":\"s2\",\"campaigns\":[7.5]}", "{\"kid\":2,\"campaigns\":[7]}",
                "{\"kid\":\"s2\",\"kid\":\"s3\",\"campaigns\":[7]}", "{\"kid\":\"s2\",\"campaigns\":[7],\"secret\":" + SECRET + "}"}) {
            assertError(admin("POST", "", body), 400, "bad_request", "");
        }
        assertError(admin("POST", "", "{\"campaigns\":[7]}"), 422, "invalid", "kid is required");
        assertError(admin("POST", "", "{\"kid\":\"s 2\",\"campaigns\":[7]}"), 422, "invalid", "kid must be");
        assertError(admin("POST", "", "{\"kid\":\"s2\"}"), 422, "invalid", "campaigns is required");
        assertError(admin("POST", "", "{\"kid\":\"s2\",\"campaigns\":[]}"), 422, "invalid", "at least one");
        assertError(admin("POST", "", "{\"kid\":\"s2\",\"campaigns\":[999]}"), 422, "invalid", "no campaign 999");
        assertError(admin("POST", "", "{\"kid\":\"s2\",\"campaigns\":[7,7]}"), 422, "invalid", "twice");
        assertError(admin("POST", "", "{\"kid\":\"s2\",\"campaigns\":[-7]}"), 422, "invalid", "positive");
        assertError(admin("POST", "", "{\"kid\":\"s2\",\"campaigns\":[99999999999999999999999]}"), 422, "invalid", "positive");
        assertError(admin("POST", "", "{\"kid\":\"s2\",\"campaigns\":[7],\"secret\":\"short\"}"), 422, "invalid", "secret must be");
        assertError(admin("POST", "/s1/rotate", "{\"overlap_seconds\":604801}"), 422, "invalid", "overlap_seconds");
        assertError(admin("POST", "/s1/rotate", "{\"overlap_seconds\":-1}"), 422, "invalid", "overlap_seconds");
        assertError(admin("POST", "/s1/rotate", "{\"overlap_seconds\":\"60\"}"), 400, "bad_request", "overlap_seconds");
        assertError(admin("PUT", "/s1/campaigns", "{\"campaigns\":[998]}"), 422, "invalid", "no campaign 998");
        assertError(admin("GET", "/nope", null), 404, "not_found", "no sender key nope");
        assertError(admin("POST", "/nope/rotate", "{}"), 404, "not_found", "no sender key nope");
        assertError(admin("PUT", "/nope/campaigns", "{\"campaigns\":[7]}"), 404, "not_found", "no sender key nope");
        assertError(admin("POST", "/nope/disable", null), 404, "not_found", "no sender key nope");
        assertError(admin("GET", "/" + "k".repeat(33), null), 400, "bad_request", "kid must be");
        assertThat(db.sqlLong("SELECT count(*) FROM sender_key")).isEqualTo(1);
    }

    @Test
    void theOpenApiDescriptionHasTheSenderKeys() throws Exception {
        HttpResponse<String> docs = send("GET", "/v3/api-docs", null, null);
        assertThat(docs.statusCode()).isEqualTo(200);
        JsonNode paths = JSON.readTree(docs.body()).get("paths");
        assertThat(paths.has("/api/v1/admin/sender-keys")).isTrue();
        assertThat(paths.has("/api/v1/admin/sender-keys/{kid}/rotate")).isTrue();
    }

    private HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return send(method, "/api/v1/admin/sender-keys" + path, body, "Bearer " + TOKEN);
    }

    private HttpResponse<String> send(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        answers.add(r);
        return r;
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        return JSON.readTree(r.body());
    }

    private static void assertError(HttpResponse<String> r, int status, String error, String reason) throws Exception {
        assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri() + " -> " + r.body()).isEqualTo(status);
        JsonNode e = json(r);
        assertThat(e.get("status").asInt()).isEqualTo(status);
        assertThat(e.get("error").asText()).isEqualTo(error);
        assertThat(e.get("reason").asText()).contains(reason);
    }
}
