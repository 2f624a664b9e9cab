package io.adgrid.persister.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import io.adgrid.attribution.Attribution;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SigningKey;
import io.adgrid.persister.catalog.CatalogAdmin.Key;
import io.adgrid.persister.catalog.CatalogAdmin.Problem;
import io.adgrid.persister.catalog.CatalogAdmin.RefusedException;
import io.adgrid.persister.catalog.CatalogAdmin.Secret;
import io.adgrid.persister.testing.TestDatabase;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The catalog's admin writes on real PostgreSQL: create and update, the rules that keep the catalog
 * sound (a banner never moves campaign, a campaign never loses its last key), every write seen by
 * the gateway's incremental reader, and secrets never in a result, a message or a log line.
 */
class CatalogAdminIT {

    private static final String SECRET = "first-secret-of-campaign-42";
    private static final String SECRET_2 = "second-secret-of-campaign-42";

    private static TestDatabase db;
    private CatalogAdmin admin;
    private JdbcCatalogSource source;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeAll
    static void startDatabase() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @BeforeEach
    void emptyCatalog() {
        db.truncateCatalog();
        admin = new CatalogAdmin(db.dataSource());
        source = new JdbcCatalogSource(db.dataSource());
        logs.start();
        root.addAppender(logs);
        ((Logger) LoggerFactory.getLogger(CatalogAdmin.class)).setLevel(Level.DEBUG);
    }

    @AfterEach
    void noSecretWasLogged() {
        root.detachAppender(logs);
        ((Logger) LoggerFactory.getLogger(CatalogAdmin.class)).setLevel(null);
        assertThat(logs.list).as("log lines").isNotEmpty();
        for (ILoggingEvent e : logs.list) {
            assertThat(e.getFormattedMessage()).doesNotContain(SECRET).doesNotContain(SECRET_2);
        }
    }

    @Test
    void aNewCampaignGetsItsSecretAsKeyZeroAndAnUpdateChangesNameAndCurrencyOnly() {
        CatalogAdmin.Saved<CatalogAdmin.CampaignView> created = admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));

        assertThat(created.created()).isTrue();
        assertThat(created.value().name()).isEqualTo("Winter sale");
        assertThat(created.value().currency()).isEqualTo("EUR");
        assertThat(created.value().keys()).extracting(Key::kid).containsExactly("0");
        assertThat(created.value().keys().get(0).retiredAt()).isNull();
        assertThat(db.sqlString("SELECT secret FROM campaign_secret WHERE campaign_id = 42 AND kid = '0'")).isEqualTo(SECRET);

        CatalogAdmin.Saved<CatalogAdmin.CampaignView> renamed = admin.putCampaign(42, "Winter sale 2", null, null);
        assertThat(renamed.created()).isFalse();
        assertThat(renamed.value().name()).isEqualTo("Winter sale 2");
        assertThat(renamed.value().currency()).as("no currency given: unchanged").isEqualTo("EUR");
        assertThat(admin.putCampaign(42, "Winter sale 2", "GBP", null).value().currency()).isEqualTo("GBP");
        assertThat(admin.campaign(42)).get().extracting(CatalogAdmin.CampaignView::currency).isEqualTo("GBP");
        assertThat(admin.campaign(43)).isEmpty();
        assertThat(admin.putCampaign(44, "Dollars", null, new Secret(SECRET_2)).value().currency()).isEqualTo("USD");
    }

    @Test
    void aSecretOnAnUpdateIsRefusedAndChangesNothing() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));

        assertRefused(() -> admin.putCampaign(42, "Renamed", "USD", new Secret(SECRET_2)), Problem.NOT_ALLOWED, "key");

        assertThat(db.sqlString("SELECT name FROM campaign WHERE id = 42")).isEqualTo("Winter sale");
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_secret WHERE campaign_id = 42")).isEqualTo(1);
        assertThat(db.sqlString("SELECT secret FROM campaign_secret WHERE campaign_id = 42")).isEqualTo(SECRET);
    }

    @Test
    void campaignValuesAreValidated() {
        assertRefused(() -> admin.putCampaign(42, "No secret", "EUR", null), Problem.INVALID, "secret");
        assertRefused(() -> admin.putCampaign(42, "Short", "EUR", new Secret("fifteen-bytes-x")), Problem.INVALID, "16 bytes");
        assertRefused(() -> admin.putCampaign(42, "Long", "EUR", new Secret("x".repeat(1025))), Problem.INVALID, "1024");
        assertRefused(() -> admin.putCampaign(42, " ", "EUR", new Secret(SECRET)), Problem.INVALID, "name");
        assertRefused(() -> admin.putCampaign(42, "a\nb", "EUR", new Secret(SECRET)), Problem.INVALID, "control");
        assertRefused(() -> admin.putCampaign(42, "n".repeat(201), "EUR", new Secret(SECRET)), Problem.INVALID, "name");
        for (String currency : new String[] {"eur", "EURO", "E1R", ""}) {
            assertRefused(() -> admin.putCampaign(42, "Bad currency", currency, new Secret(SECRET)), Problem.INVALID, "currency");
        }
        assertRefused(() -> admin.putCampaign(0, "Zero", "EUR", new Secret(SECRET)), Problem.INVALID, "positive");
        assertThat(db.sqlLong("SELECT count(*) FROM campaign")).isZero();
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_secret")).isZero();
        // Exactly 16 bytes is enough (a 2-byte character counts twice).
        assertThat(admin.putCampaign(42, "Exact", "EUR", new Secret("é".repeat(8))).created()).isTrue();
    }

    @Test
    void aBannerNeedsAnExistingCampaignAndNeverMovesToAnother() {
        assertRefused(() -> admin.putBanner(7, 42, "https://example.com/a"), Problem.INVALID, "campaign 42 does not exist");
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        admin.putCampaign(43, "Summer sale", "EUR", new Secret(SECRET_2));

        CatalogAdmin.Saved<CatalogAdmin.BannerView> created = admin.putBanner(7, 42, "https://example.com/a");
        assertThat(created.created()).isTrue();
        assertThat(created.value().campaignId()).isEqualTo(42);
        CatalogAdmin.Saved<CatalogAdmin.BannerView> moved = admin.putBanner(7, 42, "http://example.com/b?x=1#top");
        assertThat(moved.created()).isFalse();
        assertThat(moved.value().landingUrl()).isEqualTo("http://example.com/b?x=1#top");

        assertRefused(() -> admin.putBanner(7, 43, "https://example.com/c"), Problem.INVALID, "for life");
        assertThat(admin.banner(7)).get().extracting(CatalogAdmin.BannerView::campaignId).isEqualTo(42L);
        assertThat(admin.banner(7)).get().extracting(CatalogAdmin.BannerView::landingUrl).isEqualTo("http://example.com/b?x=1#top");
        assertThat(admin.banner(8)).isEmpty();
    }

    @Test
    void landingUrlsMustBeAbsoluteHttpWithoutUserInfoOrLineBreaks() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        List<String> bad = List.of("", "ftp://example.com/", "javascript:alert(1)", "//example.com/x", "/landing",
                "HTTPS://example.com/", "https://user:pw@example.com/", "https://evil.com@example.com/",
                "https://example.com/a\r\nSet-Cookie: x=1", "https://example.com/a b", "https://example.com/\u00e9",
                "https://example.com/" + "a".repeat(CatalogAdmin.MAX_URL_LENGTH), "https://", "https:///path", "https://exa mple.com/");
        for (String url : bad) {
            assertThatThrownBy(() -> admin.putBanner(7, 42, url)).as(url).isInstanceOf(RefusedException.class)
                    .satisfies(e -> assertThat(((RefusedException) e).problem()).isEqualTo(Problem.INVALID))
                    .hasMessageContaining("landingUrl");
        }
        assertThat(db.sqlLong("SELECT count(*) FROM banner")).isZero();
        assertThat(CatalogAdmin.landingUrlProblem("https://example.com:8443/a/b?c=d%20e&f=%E2%82%AC#g")).isNull();
        assertThat(CatalogAdmin.landingUrlProblem("http://127.0.0.1/x")).isNull();
    }

    @Test
    void publishersAreCreatedThenRenamed() {
        CatalogAdmin.Saved<CatalogAdmin.PublisherView> created = admin.putPublisher(3, "News site");
        assertThat(created.created()).isTrue();
        CatalogAdmin.Saved<CatalogAdmin.PublisherView> renamed = admin.putPublisher(3, "News site (EU)");
        assertThat(renamed.created()).isFalse();
        assertThat(renamed.value().name()).isEqualTo("News site (EU)");
        assertThat(renamed.value().createdAt()).isEqualTo(created.value().createdAt());
        assertThat(admin.publisher(4)).isEmpty();
        assertRefused(() -> admin.putPublisher(3, ""), Problem.INVALID, "name");
    }

    @Test
    void aRotationAddsAKeyThenRetiresTheOldOneButNeverTheLast() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        assertRefused(() -> admin.retireKey(42, "0", null), Problem.CONFLICT, "last key");

        Key added = admin.addKey(42, "k2", new Secret(SECRET_2));
        assertThat(added.kid()).isEqualTo("k2");
        assertThat(added.retiredAt()).isNull();
        assertRefused(() -> admin.addKey(42, "k2", new Secret(SECRET_2)), Problem.CONFLICT, "already has key k2");
        assertRefused(() -> admin.addKey(42, "0", new Secret(SECRET_2)), Problem.CONFLICT, "already has key 0");
        assertRefused(() -> admin.addKey(43, "k3", new Secret(SECRET_2)), Problem.NOT_FOUND, "no campaign 43");
        assertRefused(() -> admin.addKey(42, "bad kid", new Secret(SECRET_2)), Problem.INVALID, "kid");
        assertRefused(() -> admin.addKey(42, "k".repeat(33), new Secret(SECRET_2)), Problem.INVALID, "kid");
        assertRefused(() -> admin.addKey(42, "k3", new Secret("short")), Problem.INVALID, "16 bytes");

        Instant before = Instant.now().minusSeconds(60);
        Key retired = admin.retireKey(42, "0", null);
        assertThat(retired.retiredAt()).isAfter(before);
        assertThat(retired.activeAt(Instant.now().plusSeconds(1))).isFalse();
        assertRefused(() -> admin.retireKey(42, "0", null), Problem.CONFLICT, "already retired");
        assertRefused(() -> admin.retireKey(42, "k2", null), Problem.CONFLICT, "last key");
        assertRefused(() -> admin.retireKey(42, "k9", null), Problem.NOT_FOUND, "no key k9");
        assertRefused(() -> admin.retireKey(43, "0", null), Problem.NOT_FOUND, "no campaign 43");

        CatalogAdmin.CampaignView view = admin.campaign(42).orElseThrow();
        assertThat(view.keys()).extracting(Key::kid).containsExactly("0", "k2");
        assertThat(view.keys().get(0).retiredAt()).isEqualTo(retired.retiredAt());
        assertThat(view.toString()).doesNotContain(SECRET).doesNotContain(SECRET_2);
    }

    @Test
    void aFutureRetirementSchedulesTheEndOfTheOverlapAndCanBeMoved() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        admin.addKey(42, "k2", new Secret(SECRET_2));
        Instant inAnHour = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);

        Key scheduled = admin.retireKey(42, "0", inAnHour);
        assertThat(scheduled.retiredAt()).isEqualTo(inAnHour);
        assertThat(scheduled.activeAt(Instant.now())).isTrue();
        // Still active: the end of the overlap can be moved, here to the past (retired at once).
        Instant earlier = Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.MILLIS);
        assertThat(admin.retireKey(42, "0", earlier).retiredAt()).isEqualTo(earlier);
        assertRefused(() -> admin.retireKey(42, "0", inAnHour), Problem.CONFLICT, "already retired");
        assertRefused(() -> admin.retireKey(42, "k2", Instant.parse("+10000-01-01T00:00:00Z")), Problem.INVALID, "between");
    }

    @Test
    void everyWriteIsSeenByTheGatewaysIncrementalRefresh() {
        long version = source.changesSince(0, new RecordedChanges());

        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        admin.putBanner(7, 42, "https://example.com/a");
        admin.putPublisher(3, "News site");
        RecordedChanges created = new RecordedChanges();
        version = source.changesSince(version, created);
        assertThat(created.rows).containsExactlyInAnyOrder("campaign 42 EUR [0]", "banner 7 42 https://example.com/a", "publisher 3");
        assertThat(created.campaigns.get(0).key("0")).isEqualTo(SigningKey.of("0", SECRET));

        admin.addKey(42, "k2", new Secret(SECRET_2));
        RecordedChanges rotated = new RecordedChanges();
        version = source.changesSince(version, rotated);
        assertThat(rotated.rows).containsExactly("campaign 42 EUR [0, k2]");
        assertThat(rotated.campaigns.get(0).key("k2").spec().getEncoded()).isEqualTo(SECRET_2.getBytes(StandardCharsets.UTF_8));

        Key retired = admin.retireKey(42, "0", null);
        admin.putBanner(7, 42, "https://example.com/b");
        admin.putPublisher(3, "Renamed");
        RecordedChanges later = new RecordedChanges();
        version = source.changesSince(version, later);
        assertThat(later.rows).containsExactlyInAnyOrder("campaign 42 EUR [0, k2]", "banner 7 42 https://example.com/b", "publisher 3");
        Campaign campaign = later.campaigns.get(0);
        assertThat(campaign.key("0").retiredAtMillis()).isEqualTo(retired.retiredAt().toEpochMilli());
        assertThat(campaign.key("k2").retiredAtMillis()).isEqualTo(SigningKey.NEVER);

        RecordedChanges nothing = new RecordedChanges();
        source.changesSince(version, nothing);
        assertThat(nothing.rows).isEmpty();
    }

    /** A campaign's own click parameter and window (issue 21) reach the gateways like a key does; cleared, the deployment's again. */
    @Test
    void aCampaignsAttributionIsSetShownAndClearedAndSeenByTheGatewaysRefresh() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        assertThat(admin.campaign(42).orElseThrow().attribution()).isEqualTo(Attribution.DEFAULTS);
        long version = source.changesSince(0, new RecordedChanges());

        Attribution own = new Attribution("ref", Duration.ofDays(7));
        assertThat(admin.setAttribution(42, own).attribution()).isEqualTo(own);
        assertThat(admin.campaign(42).orElseThrow().attribution()).isEqualTo(own);
        RecordedChanges set = new RecordedChanges();
        version = source.changesSince(version, set);
        assertThat(set.rows).containsExactly("campaign 42 EUR [0]");
        assertThat(set.campaigns.get(0).attribution()).isEqualTo(own);
        assertThat(set.campaigns.get(0).key("0")).isEqualTo(SigningKey.of("0", SECRET));

        // an update of the campaign's name keeps it; only the attribution call changes it
        admin.putCampaign(42, "Renamed", null, null);
        assertThat(admin.campaign(42).orElseThrow().attribution()).isEqualTo(own);
        admin.setAttribution(42, new Attribution(null, Duration.ofMinutes(1)));
        RecordedChanges windowOnly = new RecordedChanges();
        version = source.changesSince(version, windowOnly);
        assertThat(windowOnly.campaigns).singleElement().extracting(Campaign::attribution)
                .isEqualTo(new Attribution(null, Duration.ofMinutes(1)));

        admin.setAttribution(42, Attribution.DEFAULTS);
        RecordedChanges cleared = new RecordedChanges();
        source.changesSince(version, cleared);
        assertThat(cleared.campaigns).singleElement().extracting(Campaign::attribution).isEqualTo(Attribution.DEFAULTS);
        assertThat(db.sqlLong("SELECT count(*) FROM campaign WHERE click_param IS NULL AND attribution_window_seconds IS NULL")).isEqualTo(1);

        assertRefused(() -> admin.setAttribution(43, own), Problem.NOT_FOUND, "no campaign 43");
    }

    /** The schema holds the same rules as the API, so no other writer can give a gateway a name it would have to escape. */
    @Test
    void theSchemaRefusesAClickParamOrWindowTheApiWould() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        for (String bad : new String[] {"click_param = 'a.b'", "click_param = ''", "click_param = repeat('a', 33)",
                "attribution_window_seconds = 59", "attribution_window_seconds = 366 * 86400 + 1"}) {
            assertThatThrownBy(() -> db.sql("UPDATE campaign SET " + bad + " WHERE id = 42")).as(bad).hasMessageContaining("check");
        }
    }

    @Test
    void aDatabaseErrorNeverQuotesTheSecret() {
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        // PostgreSQL's detail of a failed check quotes the whole row ("Failing row contains (..., secret, ...)").
        db.sql("ALTER TABLE campaign_secret ADD CONSTRAINT test_refuses_this_secret CHECK (secret <> '" + SECRET_2 + "')");
        try {
            assertThatThrownBy(() -> admin.addKey(42, "k2", new Secret(SECRET_2)))
                    .isInstanceOf(CatalogAdmin.UnavailableException.class)
                    .hasMessageContaining("23514")
                    .satisfies(e -> assertThat(String.valueOf(e.getCause())).doesNotContain(SECRET_2))
                    .message().doesNotContain(SECRET_2);
        } finally {
            db.sql("ALTER TABLE campaign_secret DROP CONSTRAINT test_refuses_this_secret");
        }
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_secret WHERE campaign_id = 42")).isEqualTo(1);
    }

    @Test
    void aSecretNeverPrints() {
        assertThat(new Secret(SECRET).toString()).doesNotContain(SECRET);
        admin.putCampaign(42, "Winter sale", "EUR", new Secret(SECRET));
        assertThat(admin.campaign(42).orElseThrow().toString()).doesNotContain(SECRET);
    }

    private static void assertRefused(Runnable action, Problem problem, String reason) {
        assertThatThrownBy(action::run).isInstanceOf(RefusedException.class)
                .satisfies(e -> assertThat(((RefusedException) e).problem()).isEqualTo(problem))
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET).doesNotContain(SECRET_2));
    }
}
