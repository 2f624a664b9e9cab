package io.adgrid.gateway.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import io.adgrid.event.EventType;
import io.adgrid.gateway.validation.BeaconValidator;
import io.adgrid.gateway.validation.Validation;
import io.adgrid.gateway.validation.ValidationSettings;
import io.adgrid.grid.testing.Wait;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.catalog.JdbcCatalogSource;
import io.adgrid.persister.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's off-heap catalog kept in step with real PostgreSQL: a change is picked up by the
 * next refresh, which reads only the changes (not the catalog), and a catalog that outgrows the
 * configured limits is an error that keeps the gateway serving, not a crash.
 */
class CatalogRefreshIT {

    private static final Duration HOURLY = Duration.ofHours(1);
    private static TestDatabase db;

    @TempDir
    Path dir;
    private CatalogCache cache;
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    @BeforeAll
    static void startDatabase() {
        db = TestDatabase.start();
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @BeforeEach
    void demoCatalog() {
        db.truncateCatalog();
        DemoCatalog.seedIfEmpty(db.dataSource());
    }

    @AfterEach
    void closeCache() {
        if (cache != null) {
            cache.close();
        }
    }

    @Test
    void insertedBannerValidatesAfterTheNextRefreshWhichReadsOnlyThatChange() {
        cache = start(CatalogLimits.defaults(), HOURLY);
        assertThat(cache.lastRefreshChanges()).as("the first load is the whole catalog")
                .isEqualTo(DemoCatalog.CAMPAIGNS + DemoCatalog.BANNERS + DemoCatalog.PUBLISHERS);
        BeaconValidator validator = validator();
        Map<String, String> beacon = signedDemo(1001, 4);
        assertThat(rejectionCode(validator.validate(EventType.IMPRESSION, beacon))).isEqualTo("unknown_banner");

        db.sql("INSERT INTO banner (id, campaign_id, landing_url) VALUES (1001, 1, 'https://example.com/landing/1001')");
        cache.refresh();

        assertThat(validator.validate(EventType.IMPRESSION, beacon)).isInstanceOf(Validation.Accepted.class);
        assertThat(cache.lastRefreshChanges()).as("one changed row read, not the catalog").isEqualTo(1);
        assertThat(metrics.get("adgrid.catalog.changes").counter().count())
                .isEqualTo(DemoCatalog.CAMPAIGNS + DemoCatalog.BANNERS + DemoCatalog.PUBLISHERS + 1);
        assertThat(cache.store().bannerCount()).isEqualTo(DemoCatalog.BANNERS + 1);
    }

    @Test
    void scheduledRefreshPicksUpChangesWithoutARestart() {
        cache = start(CatalogLimits.defaults(), Duration.ofMillis(200));
        BeaconValidator validator = validator();

        db.sql("INSERT INTO banner (id, campaign_id, landing_url) VALUES (1002, 2, 'https://example.com/landing/1002')");
        db.sql("DELETE FROM banner WHERE id = 5");

        Wait.until("banner 1002 validates", Duration.ofSeconds(30),
                () -> validator.validate(EventType.CLICK, signedDemoClick(1002, 4)) instanceof Validation.Accepted);
        Wait.until("deleted banner 5 is unknown", Duration.ofSeconds(30),
                () -> "unknown_banner".equals(rejectionCode(validator.validate(EventType.CLICK, signedDemoClick(5, 4)))));
        Validation.Accepted click = (Validation.Accepted) validator.validate(EventType.CLICK, signedDemoClick(1002, 4));
        assertThat(click.banner().landingUrl()).isEqualTo("https://example.com/landing/1002");
    }

    @Test
    void refreshBeyondTheBannerLimitIsCountedAndTheGatewayKeepsServing() {
        cache = start(new CatalogLimits(DemoCatalog.BANNERS, 1_000, 100), HOURLY);
        long version = cache.store().version();
        BeaconValidator validator = validator();

        db.sql("INSERT INTO banner (id, campaign_id, landing_url) VALUES (1001, 1, 'https://example.com/landing/1001')");
        cache.refresh();
        cache.refresh();

        assertThat(metrics.get("adgrid.catalog.refresh.failures").tag("reason", "catalog_full").counter().count()).isEqualTo(2);
        assertThat(cache.store().version()).as("not advanced: the change is retried").isEqualTo(version);
        assertThat(validator.validate(EventType.IMPRESSION, signedDemo(7, 4))).isInstanceOf(Validation.Accepted.class);
        assertThat(rejectionCode(validator.validate(EventType.IMPRESSION, signedDemo(1001, 4)))).isEqualTo("unknown_banner");
    }

    @Test
    void firstLoadBeyondTheLimitFailsTheStartNamingTheSetting() {
        CatalogStore store = CatalogStore.open(dir, new CatalogLimits(DemoCatalog.BANNERS - 1, 1_000, 100));
        CatalogCache tooSmall = new CatalogCache(store, new JdbcCatalogSource(db.dataSource()), metrics);

        assertThatThrownBy(() -> tooSmall.start(HOURLY))
                .isInstanceOf(CatalogFullException.class)
                .hasMessageContaining("ADGRID_CATALOG_MAXBANNERS")
                .hasMessageContaining("(" + (DemoCatalog.BANNERS - 1) + ")");
        // The start released the directory: a correctly sized gateway can open it.
        cache = start(CatalogLimits.defaults(), HOURLY);
        assertThat(cache.store().bannerCount()).isEqualTo(DemoCatalog.BANNERS);
    }

    @Test
    void reopenedStoreReadsOnlyWhatChangedWhileTheGatewayWasStopped() {
        cache = start(CatalogLimits.defaults(), HOURLY);
        cache.close();
        cache = null;
        db.sql("INSERT INTO publisher (id, name) VALUES (101, 'late')");

        cache = start(CatalogLimits.defaults(), HOURLY);
        // The counter moves after the store: waiting on it waits for the whole refresh.
        Wait.until("the background refresh after the reopen ran", Duration.ofSeconds(30),
                () -> metrics.get("adgrid.catalog.changes").counter().count() > DemoCatalog.CAMPAIGNS + DemoCatalog.BANNERS + DemoCatalog.PUBLISHERS);

        assertThat(cache.store().hasPublisher(101)).isTrue();
        assertThat(metrics.get("adgrid.catalog.changes").counter().count())
                .as("the full load once, then one row").isEqualTo(DemoCatalog.CAMPAIGNS + DemoCatalog.BANNERS + DemoCatalog.PUBLISHERS + 1);
    }

    private CatalogCache start(CatalogLimits limits, Duration interval) {
        return new CatalogCache(CatalogStore.open(dir, limits), new JdbcCatalogSource(db.dataSource()), metrics).start(interval);
    }

    private BeaconValidator validator() {
        return new BeaconValidator(cache.view(), Clock.systemUTC(), ValidationSettings.defaults());
    }

    /** A beacon for banner b signed as the ad server of the demo catalog would (banner b's campaign secret). */
    private static Map<String, String> signedDemo(long banner, long publisher) {
        long campaign = banner <= DemoCatalog.BANNERS ? DemoCatalog.campaignOf(banner) : banner == 1001 ? 1 : 2;
        return TestGateway.signed(DemoCatalog.secretOf(campaign), TestGateway.impression(banner, publisher, "n-" + banner, null));
    }

    /** The click of {@link #signedDemo}'s rendering, signed for /c (contract v2). */
    private static Map<String, String> signedDemoClick(long banner, long publisher) {
        long campaign = banner <= DemoCatalog.BANNERS ? DemoCatalog.campaignOf(banner) : banner == 1001 ? 1 : 2;
        return TestGateway.signedClick(DemoCatalog.secretOf(campaign), TestGateway.impression(banner, publisher, "n-" + banner, null));
    }

    private static String rejectionCode(Validation v) {
        return v instanceof Validation.Rejected r ? r.rejection().code() : "accepted";
    }
}
