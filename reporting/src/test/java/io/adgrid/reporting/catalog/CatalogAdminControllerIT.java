package io.adgrid.reporting.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.persister.catalog.CampaignBudgets;
import io.adgrid.persister.catalog.CampaignPrices;
import io.adgrid.persister.catalog.CatalogAdmin;
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
 * The catalog's admin API over real HTTP (Spring MVC on Tomcat) on a real PostgreSQL: the token
 * first, then precise answers (201/200, 400 bad JSON, 404 unknown, 409 conflicts, 422 invalid
 * values), and the secrets never in an answer or in the process's output, DEBUG logging included.
 */
@ExtendWith(OutputCaptureExtension.class)
class CatalogAdminControllerIT {

    private static final String TOKEN = "catalog-admin-test-token";
    private static final String SECRET = "S3cretOfCampaign42Xyzzy";  // one JSON token when unquoted: a parser error would quote it whole
    private static final String SECRET_2 = "S3cretK2OfCampaign42Qrs";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static TestDatabase db;
    private static ConfigurableApplicationContext app;
    private static String base;

    /** Every answer of the current test, to check none carries a secret. */
    private final List<HttpResponse<String>> answers = new ArrayList<>();

    @SpringBootConfiguration
    @EnableAutoConfiguration(exclude = {HazelcastAutoConfiguration.class, DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class})
    @Import({CatalogAdminController.class, ApiErrors.class, StrictJsonBodies.class, io.adgrid.reporting.web.OpenApiDocs.class})
    static class TestApp {
        @Bean
        AdminAuthorization adminAuthorization() {
            return new AdminAuthorization(AdminToken.of(TOKEN));
        }

        @Bean
        CatalogAdmin catalogAdmin() {
            return new CatalogAdmin(db.dataSource());
        }

        @Bean
        CampaignPrices campaignPrices() {
            return new CampaignPrices(db.dataSource());
        }

        @Bean
        CampaignBudgets campaignBudgets() {
            return new CampaignBudgets(db.dataSource());
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
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + "/api/v1/admin/catalog";
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
    void emptyCatalog() {
        db.truncateCatalog();
    }

    @AfterEach
    void noAnswerCarriedASecret() {
        for (HttpResponse<String> r : answers) {
            assertThat(r.body()).as(r.request().uri().toString()).doesNotContain(SECRET).doesNotContain(SECRET_2);
        }
    }

    @Test
    void everyEndpointAnswers401WithoutOrWithAWrongTokenAndChangesNothing() throws Exception {
        String campaign = "{\"name\":\"x\",\"secret\":\"" + SECRET + "\"}";
        for (String token : new String[] {null, "", "Bearer", "Bearer wrong", "Bearer " + TOKEN + "x", "Basic " + TOKEN, TOKEN}) {
            assertThat(send("PUT", "/campaigns/42", campaign, token).statusCode()).as(token).isEqualTo(401);
            assertThat(send("GET", "/campaigns/42", null, token).statusCode()).isEqualTo(401);
            assertThat(send("PUT", "/banners/7", "{\"campaign\":42,\"landingUrl\":\"https://e.com/\"}", token).statusCode()).isEqualTo(401);
            assertThat(send("GET", "/banners/7", null, token).statusCode()).isEqualTo(401);
            assertThat(send("PUT", "/publishers/3", "{\"name\":\"p\"}", token).statusCode()).isEqualTo(401);
            assertThat(send("GET", "/publishers/3", null, token).statusCode()).isEqualTo(401);
            assertThat(send("POST", "/campaigns/42/keys", "{\"kid\":\"k2\",\"secret\":\"" + SECRET_2 + "\"}", token).statusCode()).isEqualTo(401);
            assertThat(send("POST", "/campaigns/42/keys/0/retire", "", token).statusCode()).isEqualTo(401);
            // The token comes before everything else: a bad id or body without it is still a 401, not a 400.
            HttpResponse<String> badBoth = send("PUT", "/campaigns/abc", "{not json", token);
            assertThat(badBoth.statusCode()).isEqualTo(401);
            assertThat(badBoth.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(json(badBoth).get("error").asText()).isEqualTo("unauthorized");
        }
        assertThat(db.sqlLong("SELECT count(*) FROM campaign") + db.sqlLong("SELECT count(*) FROM publisher")).isZero();
    }

    @Test
    void aCampaignIsCreatedReadAndUpdatedWithoutEverShowingItsSecret() throws Exception {
        HttpResponse<String> created = admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"currency\":\"EUR\",\"secret\":\"" + SECRET + "\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/admin/catalog/campaigns/42");
        JsonNode c = json(created);
        assertThat(c.get("id").asLong()).isEqualTo(42);
        assertThat(c.get("name").asText()).isEqualTo("Winter sale");
        assertThat(c.get("currency").asText()).isEqualTo("EUR");
        assertThat(c.get("keys")).hasSize(1);
        assertThat(c.get("keys").get(0).get("kid").asText()).isEqualTo("0");
        assertThat(c.get("keys").get(0).get("retired_at").isNull()).isTrue();
        assertThat(c.get("keys").get(0).get("active").asBoolean()).isTrue();
        assertThat(c.get("keys").get(0).has("secret")).isFalse();
        Instant.parse(c.get("created_at").asText());

        JsonNode read = json(admin("GET", "/campaigns/42", null));
        assertThat(read).isEqualTo(c);

        HttpResponse<String> updated = admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale 2\",\"currency\":\"GBP\"}");
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(json(updated).get("name").asText()).isEqualTo("Winter sale 2");
        assertThat(json(updated).get("currency").asText()).isEqualTo("GBP");

        HttpResponse<String> withSecret = admin("PUT", "/campaigns/42", "{\"name\":\"x\",\"secret\":\"" + SECRET_2 + "\"}");
        assertError(withSecret, 400, "bad_request", "add a key");
        assertThat(db.sqlString("SELECT secret FROM campaign_secret WHERE campaign_id = 42")).isEqualTo(SECRET);
        assertThat(db.sqlString("SELECT name FROM campaign WHERE id = 42")).isEqualTo("Winter sale 2");

        assertError(admin("GET", "/campaigns/43", null), 404, "not_found", "no campaign 43");
        for (String id : new String[] {"abc", "0", "-1", "1.5", "99999999999999999999", "%20"}) {
            assertError(admin("GET", "/campaigns/" + id, null), 400, "bad_request", "positive integer");
        }
    }

    @Test
    void malformedBodiesAre400AndNeverEchoed(CapturedOutput output) throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"secret\":\"" + SECRET + "\"}");
        String[] bad = {
                "{\"name\":\"x\",\"secret\":" + SECRET + "}",          // an unquoted secret: Jackson would quote it
                "{\"name\":\"x\",\"secret\":\"" + SECRET + "\"",        // truncated
                "[\"" + SECRET + "\"]",
                "\"" + SECRET + "\"",
                "{\"name\":\"x\",\"" + SECRET + "\":1}",                // a secret as a field name
                "{\"name\":\"x\",\"name\":\"y\"}",                      // a repeated field
                "{\"name\":\"x\"} {\"name\":\"y\"}",                    // trailing data
                "{\"name\":42}",                                        // wrong type
                "",
        };
        for (String body : bad) {
            HttpResponse<String> r = admin("PUT", "/campaigns/43", body);
            assertError(r, 400, "bad_request", "");
        }
        assertError(admin("PUT", "/banners/7", "{\"campaign\":\"42\",\"landingUrl\":\"https://e.com/\"}"), 400, "bad_request", "campaign");
        assertError(admin("PUT", "/banners/7", "{\"campaign\":1.5,\"landingUrl\":\"https://e.com/\"}"), 400, "bad_request", "campaign");
        assertError(admin("POST", "/campaigns/42/keys", "{\"kid\":\"k2\",\"secret\":" + SECRET_2.length() + "}"), 400, "bad_request", "secret");
        assertError(admin("POST", "/campaigns/42/keys/0/retire", "{\"at\":\"x\",\"why\":1}"), 400, "bad_request", "unknown field");
        // curl -d without -H 'Content-Type: application/json' sends a form: refused with a hint, never a 500.
        HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(base + "/publishers/3"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/x-www-form-urlencoded")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"News\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertError(form, 400, "bad_request", "application/json");
        HttpResponse<String> huge = admin("PUT", "/publishers/3", "{\"name\":\"" + "n".repeat(20_000) + "\"}");
        assertError(huge, 413, "payload_too_large", "larger than");
        assertThat(db.sqlLong("SELECT count(*) FROM campaign")).isEqualTo(1);

        assertThat(output.getOut()).as("the capture works").contains("catalog: campaign 42 created");
        assertThat(output.getAll()).doesNotContain(SECRET).doesNotContain(SECRET_2);
    }

    @Test
    void bodiesThatAreNotOneJsonObjectOfTheRightTypesAre400NeverA5xx() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"secret\":\"" + SECRET + "\"}");
        String key = "{\"kid\":\"k2\",\"secret\":\"" + SECRET_2 + "\"}";
        // a form POST (curl -d without the JSON Content-Type), like the form PUT above
        assertError(raw("POST", "/campaigns/42/keys", "application/x-www-form-urlencoded", key.getBytes(StandardCharsets.UTF_8)),
                400, "bad_request", "application/json");
        assertError(raw("PUT", "/publishers/3", "multipart/form-data; boundary=xyz", "--xyz\r\nnot a part".getBytes(StandardCharsets.UTF_8)),
                400, "bad_request", "");
        assertError(raw("PUT", "/publishers/3", "application/json", new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'}),
                400, "bad_request", "UTF-8");
        assertError(admin("PUT", "/publishers/3", "null"), 400, "bad_request", "JSON object");
        assertError(admin("PUT", "/publishers/3", "  \r\n"), 400, "bad_request", "application/json");
        assertError(admin("PUT", "/publishers/3", "{\"name\":[\"News\"]}"), 400, "bad_request", "name must be a string");
        assertError(admin("PUT", "/publishers/3", "{\"name\":true}"), 400, "bad_request", "name must be a string");
        assertError(admin("PUT", "/banners/7", "{\"campaign\":99999999999999999999,\"landingUrl\":\"https://e.com/\"}"),
                400, "bad_request", "campaign must be a positive integer");
        assertError(admin("PUT", "/banners/7", "{\"campaign\":0,\"landingUrl\":\"https://e.com/\"}"), 400, "bad_request", "campaign must be a positive integer");
        assertError(admin("PUT", "/campaigns/42/pricing", "{\"model\":\"CPC\",\"price_micros\":true}"), 400, "bad_request", "price_micros must be an integer");
        assertError(admin("POST", "/campaigns/42/keys/0/retire", "{\"at\":20261201}"), 400, "bad_request", "at must be a string");
        // a missing field is the rule's 422, whatever else is there
        assertError(admin("POST", "/campaigns/42/keys", "{}"), 422, "invalid", "kid is required");
        assertError(admin("PUT", "/banners/7", "{}"), 422, "invalid", "campaign is required");
        assertThat(db.sqlLong("SELECT count(*) FROM publisher") + db.sqlLong("SELECT count(*) FROM banner")).isZero();
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_secret")).isEqualTo(1);
    }

    @Test
    void valuesBreakingARuleAre422() throws Exception {
        assertError(admin("PUT", "/campaigns/42", "{\"name\":\"Winter\",\"secret\":\"short\"}"), 422, "invalid", "16 bytes");
        assertError(admin("PUT", "/campaigns/42", "{\"name\":\"Winter\"}"), 422, "invalid", "needs a secret");
        assertError(admin("PUT", "/campaigns/42", "{\"name\":\"Winter\",\"currency\":\"euro\",\"secret\":\"" + SECRET + "\"}"), 422, "invalid", "currency");
        assertError(admin("PUT", "/campaigns/42", "{\"secret\":\"" + SECRET + "\"}"), 422, "invalid", "name");
        assertError(admin("PUT", "/banners/7", "{\"campaign\":42,\"landingUrl\":\"https://example.com/\"}"), 422, "invalid", "campaign 42 does not exist");
        assertError(admin("PUT", "/banners/7", "{\"landingUrl\":\"https://example.com/\"}"), 422, "invalid", "campaign is required");
        assertThat(db.sqlLong("SELECT count(*) FROM campaign")).isZero();

        admin("PUT", "/campaigns/42", "{\"name\":\"Winter\",\"secret\":\"" + SECRET + "\"}");
        admin("PUT", "/campaigns/43", "{\"name\":\"Summer\",\"secret\":\"" + SECRET_2 + "\"}");
        for (String url : new String[] {"ftp://example.com/", "https://user:pw@example.com/", "https://example.com/a\r\nX-Evil: 1",
                                        "/relative", "https://example.com/" + "a".repeat(2100)}) {
            assertError(admin("PUT", "/banners/7", JSON.writeValueAsString(new java.util.TreeMap<>(java.util.Map.of("campaign", 42, "landingUrl", url)))),
                    422, "invalid", "landingUrl");
        }
        assertThat(admin("PUT", "/banners/7", "{\"campaign\":42,\"landingUrl\":\"https://example.com/a\"}").statusCode()).isEqualTo(201);
        assertError(admin("PUT", "/banners/7", "{\"campaign\":43,\"landingUrl\":\"https://example.com/a\"}"), 422, "invalid", "for life");
        assertThat(db.sqlLong("SELECT campaign_id FROM banner WHERE id = 7")).isEqualTo(42);
    }

    @Test
    void bannersAndPublishersAreCreatedUpdatedAndRead() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter\",\"secret\":\"" + SECRET + "\"}");

        HttpResponse<String> banner = admin("PUT", "/banners/7", "{\"campaign\":42,\"landingUrl\":\"https://example.com/a\"}");
        assertThat(banner.statusCode()).isEqualTo(201);
        assertThat(banner.headers().firstValue("Location")).hasValue("/api/v1/admin/catalog/banners/7");
        HttpResponse<String> moved = admin("PUT", "/banners/7", "{\"campaign\":42,\"landingUrl\":\"https://example.com/b\"}");
        assertThat(moved.statusCode()).isEqualTo(200);
        JsonNode b = json(admin("GET", "/banners/7", null));
        assertThat(b.get("campaign").asLong()).isEqualTo(42);
        assertThat(b.get("landingUrl").asText()).isEqualTo("https://example.com/b");
        assertError(admin("GET", "/banners/8", null), 404, "not_found", "no banner 8");

        assertThat(admin("PUT", "/publishers/3", "{\"name\":\"News\"}").statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/publishers/3", "{\"name\":\"News (EU)\"}").statusCode()).isEqualTo(200);
        assertThat(json(admin("GET", "/publishers/3", null)).get("name").asText()).isEqualTo("News (EU)");
        assertError(admin("GET", "/publishers/4", null), 404, "not_found", "no publisher 4");
        assertError(admin("PUT", "/publishers/4", "{}"), 422, "invalid", "name");
    }

    @Test
    void keysAreAddedAndRetiredButNeverTheLastOne(CapturedOutput output) throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter\",\"secret\":\"" + SECRET + "\"}");
        assertError(admin("POST", "/campaigns/42/keys/0/retire", null), 409, "conflict", "last key");

        HttpResponse<String> added = admin("POST", "/campaigns/42/keys", "{\"kid\":\"k2\",\"secret\":\"" + SECRET_2 + "\"}");
        assertThat(added.statusCode()).isEqualTo(201);
        assertThat(json(added).get("kid").asText()).isEqualTo("k2");
        assertThat(json(added).get("campaign").asLong()).isEqualTo(42);
        assertError(admin("POST", "/campaigns/42/keys", "{\"kid\":\"k2\",\"secret\":\"" + SECRET_2 + "\"}"), 409, "conflict", "already has key k2");
        assertError(admin("POST", "/campaigns/43/keys", "{\"kid\":\"k2\",\"secret\":\"" + SECRET_2 + "\"}"), 404, "not_found", "no campaign 43");
        assertError(admin("POST", "/campaigns/42/keys", "{\"kid\":\"no spaces\",\"secret\":\"" + SECRET_2 + "\"}"), 422, "invalid", "kid");
        assertError(admin("POST", "/campaigns/42/keys", "{\"kid\":\"k3\",\"secret\":\"short\"}"), 422, "invalid", "16 bytes");
        assertError(admin("POST", "/campaigns/42/keys", "{\"secret\":\"" + SECRET_2 + "\"}"), 422, "invalid", "kid is required");

        assertError(admin("POST", "/campaigns/42/keys/0/retire", "{\"at\":\"tomorrow\"}"), 422, "invalid", "ISO-8601");
        assertError(admin("POST", "/campaigns/42/keys/k9/retire", null), 404, "not_found", "no key k9");
        assertError(admin("POST", "/campaigns/42/keys/a%20b/retire", null), 400, "bad_request", "kid");
        String at = "2099-01-01T00:00:00Z";
        HttpResponse<String> scheduled = admin("POST", "/campaigns/42/keys/0/retire", "{\"at\":\"" + at + "\"}");
        assertThat(scheduled.statusCode()).isEqualTo(200);
        assertThat(json(scheduled).get("retired_at").asText()).isEqualTo(at);
        assertThat(json(scheduled).get("active").asBoolean()).isTrue();
        HttpResponse<String> now = admin("POST", "/campaigns/42/keys/0/retire", "");
        assertThat(now.statusCode()).isEqualTo(200);
        assertThat(json(now).get("active").asBoolean()).isFalse();
        assertError(admin("POST", "/campaigns/42/keys/0/retire", null), 409, "conflict", "already retired");
        assertError(admin("POST", "/campaigns/42/keys/k2/retire", null), 409, "conflict", "last key");

        JsonNode keys = json(admin("GET", "/campaigns/42", null)).get("keys");
        assertThat(keys).hasSize(2);
        assertThat(keys.get(0).get("kid").asText()).isEqualTo("0");
        assertThat(keys.get(0).get("active").asBoolean()).isFalse();
        assertThat(keys.get(1).get("kid").asText()).isEqualTo("k2");
        assertThat(keys.get(1).get("active").asBoolean()).isTrue();

        assertThat(output.getOut()).as("the capture works").contains("catalog: key k2 added to campaign 42");
        assertThat(output.getAll()).doesNotContain(SECRET).doesNotContain(SECRET_2);
    }

    @Test
    void aCampaignIsPricedFromAUtcDateAndItsPricesAreShown() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"currency\":\"EUR\",\"secret\":\"" + SECRET + "\"}");
        JsonNode unpriced = json(admin("GET", "/campaigns/42", null));
        assertThat(unpriced.get("pricing").isNull()).as("no price: pricing is null, spend 0").isTrue();
        assertThat(unpriced.get("prices")).isEmpty();

        HttpResponse<String> first = admin("PUT", "/campaigns/42/pricing", "{\"model\":\"CPM\",\"price_micros\":2500000}");
        assertThat(first.statusCode()).isEqualTo(200);
        JsonNode priced = json(first);
        assertThat(priced.get("id").asLong()).isEqualTo(42);
        assertThat(priced.get("pricing").toString())
                .as("the first price covers all history").isEqualTo("{\"model\":\"CPM\",\"price_micros\":2500000,\"price\":\"2.50\",\"from\":\"1970-01-01\"}");

        // a later price without a date starts tomorrow (UTC): what was reported does not change
        JsonNode changed = json(admin("PUT", "/campaigns/42/pricing", "{\"model\":\"CPC\",\"price_micros\":400001}"));
        String tomorrow = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1).toString();
        assertThat(changed.get("pricing").get("model").asText()).isEqualTo("CPM");
        assertThat(changed.get("prices")).hasSize(2);
        assertThat(changed.get("prices").get(1).toString())
                .isEqualTo("{\"model\":\"CPC\",\"price_micros\":400001,\"price\":\"0.400001\",\"from\":\"" + tomorrow + "\"}");
        // a dated price for a date that has one replaces it
        admin("PUT", "/campaigns/42/pricing", "{\"model\":\"CPA\",\"price_micros\":0,\"from\":\"1970-01-01\"}");
        JsonNode read = json(admin("GET", "/campaigns/42", null));
        assertThat(read.get("prices")).hasSize(2);
        assertThat(read.get("pricing").get("model").asText()).isEqualTo("CPA");
        assertThat(read.get("pricing").get("price").asText()).isEqualTo("0.00");
    }

    @Test
    void badPricesAreRefusedWithAPrecise4xxAndChangeNothing() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"secret\":\"" + SECRET + "\"}");
        String p = "/campaigns/42/pricing";
        assertError(admin("PUT", p, "{\"model\":\"CPX\",\"price_micros\":1}"), 422, "invalid", "model must be CPM, CPC or CPA");
        assertError(admin("PUT", p, "{\"model\":\"cpm\",\"price_micros\":1000}"), 422, "invalid", "model must be CPM, CPC or CPA");
        assertError(admin("PUT", p, "{\"price_micros\":1}"), 422, "invalid", "model is required");
        assertError(admin("PUT", p, "{\"model\":\"CPC\"}"), 422, "invalid", "price_micros is required");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":-1}"), 422, "invalid", "must not be negative");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":1000000000000001}"), 422, "invalid", "at most 1000000000000000");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":100000000000000000000000000}"), 422, "invalid", "at most");
        assertError(admin("PUT", p, "{\"model\":\"CPM\",\"price_micros\":2500500}"), 422, "invalid", "multiple of 1000");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":1,\"from\":\"2026-13-01\"}"), 422, "invalid", "from must be a UTC date");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":1,\"from\":\"0001-01-01\"}"), 422, "invalid", "from must be a date between");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":\"1\"}"), 400, "bad_request", "price_micros must be an integer");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":1.5}"), 400, "bad_request", "price_micros must be an integer");
        assertError(admin("PUT", p, "{\"model\":\"CPC\",\"price_micros\":1,\"currency\":\"EUR\"}"), 400, "bad_request", "unknown field");
        assertError(admin("PUT", p, "{\"model\":\"CPC\""), 400, "bad_request", "not valid JSON");
        assertError(admin("PUT", "/campaigns/43/pricing", "{\"model\":\"CPC\",\"price_micros\":1}"), 404, "not_found", "no campaign 43");
        assertError(admin("PUT", "/campaigns/x/pricing", "{\"model\":\"CPC\",\"price_micros\":1}"), 400, "bad_request", "campaign id");
        assertThat(send("PUT", p, "{\"model\":\"CPC\",\"price_micros\":1}", null).statusCode()).isEqualTo(401);
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_price")).isZero();
    }

    @Test
    void aBudgetIsSetShownReplacedWholeAndRemoved() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"currency\":\"EUR\",\"secret\":\"" + SECRET + "\"}");
        assertThat(json(admin("GET", "/campaigns/42", null)).get("budget").isNull()).as("no budget").isTrue();

        HttpResponse<String> set = admin("PUT", "/campaigns/42/budget",
                "{\"daily_micros\":20000000,\"total_micros\":1000000001,\"time_zone\":\"America/New_York\"}");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(json(set).get("budget").toString()).isEqualTo("{\"daily_micros\":20000000,\"daily\":\"20.00\","
                + "\"total_micros\":1000000001,\"total\":\"1000.000001\",\"time_zone\":\"America/New_York\"}");
        assertThat(json(admin("GET", "/campaigns/42", null)).get("budget").get("time_zone").asText()).isEqualTo("America/New_York");

        // replaced whole: an absent cap is none, an absent zone is UTC
        JsonNode daily = json(admin("PUT", "/campaigns/42/budget", "{\"daily_micros\":0}"));
        assertThat(daily.get("budget").toString())
                .isEqualTo("{\"daily_micros\":0,\"daily\":\"0.00\",\"total_micros\":null,\"total\":null,\"time_zone\":\"UTC\"}");
        JsonNode cleared = json(admin("PUT", "/campaigns/42/budget", "{\"daily_micros\":null,\"total_micros\":null}"));
        assertThat(cleared.get("budget").isNull()).isTrue();
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_budget")).isZero();
    }

    @Test
    void badBudgetsAreRefusedWithAPrecise4xxAndChangeNothing() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"secret\":\"" + SECRET + "\"}");
        String p = "/campaigns/42/budget";
        assertError(admin("PUT", p, "{\"daily_micros\":1,\"time_zone\":\"Mars/Olympus_Mons\"}"), 422, "invalid", "IANA zone");
        assertError(admin("PUT", p, "{\"daily_micros\":1,\"time_zone\":\"+05:00\"}"), 422, "invalid", "not an offset");
        assertError(admin("PUT", p, "{\"daily_micros\":1,\"time_zone\":\"\"}"), 422, "invalid", "time_zone is required");
        assertError(admin("PUT", p, "{\"total_micros\":null,\"time_zone\":\"Nowhere/Land\"}"), 422, "invalid", "IANA zone");
        assertError(admin("PUT", p, "{\"daily_micros\":-1}"), 422, "invalid", "daily_micros must be from 0 to 1000000000000000000");
        assertError(admin("PUT", p, "{\"total_micros\":1000000000000000001}"), 422, "invalid", "total_micros must be from 0");
        assertError(admin("PUT", p, "{\"total_micros\":100000000000000000000000000}"), 422, "invalid", "total_micros must be from 0");
        assertError(admin("PUT", p, "{\"daily_micros\":\"5\"}"), 400, "bad_request", "daily_micros must be an integer");
        assertError(admin("PUT", p, "{\"daily_micros\":2.5}"), 400, "bad_request", "daily_micros must be an integer");
        assertError(admin("PUT", p, "{\"daily_micros\":true}"), 400, "bad_request", "daily_micros must be an integer");
        assertError(admin("PUT", p, "{\"daily_micros\":1,\"time_zone\":5}"), 400, "bad_request", "time_zone must be a string");
        assertError(admin("PUT", p, "{\"daily\":1}"), 400, "bad_request", "unknown field");
        assertError(admin("PUT", p, "[1]"), 400, "bad_request", "JSON object");
        assertError(admin("PUT", p, ""), 400, "bad_request", "JSON object");
        assertError(admin("PUT", "/campaigns/43/budget", "{\"daily_micros\":1}"), 404, "not_found", "no campaign 43");
        assertError(admin("PUT", "/campaigns/0/budget", "{\"daily_micros\":1}"), 400, "bad_request", "campaign id");
        assertThat(send("PUT", p, "{\"daily_micros\":1}", null).statusCode()).isEqualTo(401);
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_budget")).isZero();
    }

    @Test
    void aCampaignSetsItsOwnClickParamAndWindowAndNullGivesBackTheDeploymentsSettings() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"currency\":\"EUR\",\"secret\":\"" + SECRET + "\"}");
        assertThat(json(admin("GET", "/campaigns/42", null)).get("attribution").toString())
                .as("the deployment's").isEqualTo("{\"click_param\":null,\"window\":null}");
        long before = db.sqlLong("SELECT version FROM campaign WHERE id = 42");

        HttpResponse<String> set = admin("PUT", "/campaigns/42/attribution", "{\"click_param\":\"sale_ref\",\"window\":\"7d\"}");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(json(set).get("attribution").toString()).isEqualTo("{\"click_param\":\"sale_ref\",\"window\":\"7d\"}");
        assertThat(json(set).get("keys").get(0).get("kid").asText()).as("the campaign as GET shows it").isEqualTo("0");
        assertThat(json(admin("GET", "/campaigns/42", null)).get("attribution").get("click_param").asText()).isEqualTo("sale_ref");
        // a new catalog version: the gateways' next incremental refresh brings it
        assertThat(db.sqlLong("SELECT version FROM campaign WHERE id = 42")).isGreaterThan(before);

        // replaced whole: an absent field is the deployment's; ISO-8601 is read too, and shown short
        assertThat(json(admin("PUT", "/campaigns/42/attribution", "{\"window\":\"PT36H\"}")).get("attribution").toString())
                .isEqualTo("{\"click_param\":null,\"window\":\"36h\"}");
        assertThat(json(admin("PUT", "/campaigns/42/attribution", "{\"click_param\":\"ref\",\"window\":\"1m\"}")).get("attribution").toString())
                .isEqualTo("{\"click_param\":\"ref\",\"window\":\"1m\"}");
        assertThat(json(admin("PUT", "/campaigns/42/attribution", "{\"click_param\":null,\"window\":null}")).get("attribution").toString())
                .isEqualTo("{\"click_param\":null,\"window\":null}");
        assertThat(db.sqlLong("SELECT count(*) FROM campaign WHERE click_param IS NULL AND attribution_window_seconds IS NULL")).isEqualTo(1);
        // renaming the campaign keeps what it set
        admin("PUT", "/campaigns/42/attribution", "{\"click_param\":\"ref\",\"window\":\"366d\"}");
        assertThat(json(admin("PUT", "/campaigns/42", "{\"name\":\"Renamed\"}")).get("attribution").toString())
                .isEqualTo("{\"click_param\":\"ref\",\"window\":\"366d\"}");
    }

    @Test
    void badAttributionIsRefusedWithAPrecise4xxAndChangesNothing() throws Exception {
        admin("PUT", "/campaigns/42", "{\"name\":\"Winter sale\",\"secret\":\"" + SECRET + "\"}");
        String p = "/campaigns/42/attribution";
        String name = "click_param must be 1-32 characters of A-Z a-z 0-9 _";
        for (String bad : new String[] {"order.ref", "order-ref", "", "a b", "a&b=c", "ref#x", "caf\\u00e9", "abcdefghijklmnopqrstuvwxyz0123456"}) {
            assertError(admin("PUT", p, "{\"click_param\":\"" + bad + "\"}"), 422, "invalid", name);
        }
        for (String bad : new String[] {"59s", "0m", "367d", "PT-1H"}) {
            assertError(admin("PUT", p, "{\"window\":\"" + bad + "\"}"), 422, "invalid", "window must be from 1m to 366d");
        }
        for (String bad : new String[] {"7", "7 days", "7D", "1w", "-1d", "", "P1Y"}) {
            assertError(admin("PUT", p, "{\"window\":\"" + bad + "\"}"), 422, "invalid", "window must be a duration like 30m, 36h, 7d or P7D");
        }
        assertError(admin("PUT", p, "{\"window\":\"PT60.5S\"}"), 422, "invalid", "window must be whole seconds");
        assertError(admin("PUT", p, "{\"window\":7}"), 400, "bad_request", "window must be a string");
        assertError(admin("PUT", p, "{\"click_param\":true}"), 400, "bad_request", "click_param must be a string");
        assertError(admin("PUT", p, "{\"clickParam\":\"ref\"}"), 400, "bad_request", "unknown field");
        assertError(admin("PUT", p, "[1]"), 400, "bad_request", "JSON object");
        assertError(admin("PUT", "/campaigns/43/attribution", "{\"click_param\":\"ref\"}"), 404, "not_found", "no campaign 43");
        assertError(admin("PUT", "/campaigns/0/attribution", "{\"click_param\":\"ref\"}"), 400, "bad_request", "campaign id");
        assertThat(send("PUT", p, "{\"click_param\":\"ref\"}", null).statusCode()).isEqualTo(401);
        assertThat(db.sqlLong("SELECT count(*) FROM campaign WHERE click_param IS NULL AND attribution_window_seconds IS NULL")).isEqualTo(1);
    }

    @Test
    void theOpenApiDescriptionListsTheCatalogEndpointsBehindTheAdminToken() throws Exception {
        HttpResponse<String> docs = http.send(HttpRequest.newBuilder(URI.create(base.replace("/api/v1/admin/catalog", "/v3/api-docs"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(docs.statusCode()).isEqualTo(200);
        JsonNode api = JSON.readTree(docs.body());
        JsonNode paths = api.get("paths");
        assertThat(paths.has("/api/v1/admin/catalog/campaigns/{id}")).isTrue();
        assertThat(paths.get("/api/v1/admin/catalog/campaigns/{id}").has("put")).isTrue();
        assertThat(paths.has("/api/v1/admin/catalog/campaigns/{id}/keys")).isTrue();
        assertThat(paths.has("/api/v1/admin/catalog/campaigns/{id}/keys/{kid}/retire")).isTrue();
        assertThat(paths.has("/api/v1/admin/catalog/banners/{id}")).isTrue();
        assertThat(paths.has("/api/v1/admin/catalog/publishers/{id}")).isTrue();
        assertThat(paths.at("/~1api~1v1~1admin~1catalog~1campaigns~1{id}~1pricing/put/security/0").has("admin")).isTrue();
        assertThat(paths.at("/~1api~1v1~1admin~1catalog~1campaigns~1{id}~1budget/put/security/0").has("admin")).isTrue();
        assertThat(paths.at("/~1api~1v1~1admin~1catalog~1campaigns~1{id}~1attribution/put/security/0").has("admin")).isTrue();
        assertThat(api.at("/components/schemas/AttributionBody/properties/click_param/pattern").asText()).isEqualTo("^[A-Za-z0-9_]{1,32}$");
        assertThat(api.at("/components/schemas/AttributionInfo/properties/window").isMissingNode()).isFalse();
        assertThat(api.at("/components/schemas/BudgetBody/properties/time_zone").isMissingNode()).isFalse();
        assertThat(api.at("/components/securitySchemes/admin/scheme").asText()).isEqualTo("bearer");
        assertThat(paths.at("/~1api~1v1~1admin~1catalog~1campaigns~1{id}/put/security/0").has("admin")).isTrue();
        assertThat(api.at("/components/schemas/CampaignBody/properties/secret").isMissingNode()).isFalse();
    }

    // ---- helpers --------------------------------------------------------------------------------

    private HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return send(method, path, body, "Bearer " + TOKEN);
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

    private HttpResponse<String> raw(String method, String path, String contentType, byte[] body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
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
