package io.adgrid.persister.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SigningKey;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.testing.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The catalog read from real PostgreSQL: a full load at version 0, then only what changed (upserts,
 * secret rotations, deletions) at the version the reader holds; and the V2 migration that moves
 * each campaign's secret to campaign_secret as kid 0.
 */
class JdbcCatalogSourceIT {

    private static TestDatabase db;
    private JdbcCatalogSource source;

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
        source = new JdbcCatalogSource(db.dataSource());
    }

    @Test
    void versionZeroLoadsTheWholeCatalogWithEveryKey() {
        DemoCatalog.seedIfEmpty(db.dataSource());

        RecordedChanges all = new RecordedChanges();
        long version = source.changesSince(0, all);

        assertThat(all.rows).filteredOn(r -> r.startsWith("campaign ")).hasSize(DemoCatalog.CAMPAIGNS);
        assertThat(all.rows).filteredOn(r -> r.startsWith("banner ")).hasSize(DemoCatalog.BANNERS)
                .contains("banner 17 7 https://example.com/landing/17");
        assertThat(all.rows).filteredOn(r -> r.startsWith("publisher ")).hasSize(DemoCatalog.PUBLISHERS);
        Campaign three = all.campaigns.stream().filter(c -> c.id() == 3).findFirst().orElseThrow();
        assertThat(three.currency()).isEqualTo("USD");
        assertThat(three.key("0")).isEqualTo(SigningKey.of("0", DemoCatalog.secretOf(3)));
        assertThat(version).isEqualTo(db.sqlLong("SELECT last_value FROM catalog_version"));
    }

    @Test
    void laterReadsBringOnlyWhatChangedSinceTheVersionHeld() {
        DemoCatalog.seedIfEmpty(db.dataSource());
        long v1 = source.changesSince(0, new RecordedChanges());

        RecordedChanges nothing = new RecordedChanges();
        assertThat(source.changesSince(v1, nothing)).isEqualTo(v1);
        assertThat(nothing.rows).isEmpty();

        db.sql("INSERT INTO banner (id, campaign_id, landing_url) VALUES (1001, 2, 'https://example.com/new')");
        db.sql("UPDATE banner SET landing_url = 'https://example.com/moved' WHERE id = 5");
        db.sql("INSERT INTO publisher (id, name) VALUES (101, 'new')");
        RecordedChanges some = new RecordedChanges();
        long v2 = source.changesSince(v1, some);

        assertThat(v2).isGreaterThan(v1);
        assertThat(some.rows).containsExactlyInAnyOrder(
                "banner 1001 2 https://example.com/new", "banner 5 5 https://example.com/moved", "publisher 101");
    }

    @Test
    void aNewOrRetiredSecretResendsItsCampaignWithAllItsKeys() {
        DemoCatalog.seedIfEmpty(db.dataSource());
        long v1 = source.changesSince(0, new RecordedChanges());

        db.sql("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (4, 'k1', 'rotated-secret-4')");
        RecordedChanges added = new RecordedChanges();
        long v2 = source.changesSince(v1, added);
        assertThat(added.rows).containsExactly("campaign 4 USD [0, k1]");
        assertThat(added.campaigns.get(0).key("k1")).isEqualTo(SigningKey.of("k1", "rotated-secret-4"));

        db.sql("UPDATE campaign_secret SET retired_at = '2030-01-01T00:00:00Z' WHERE campaign_id = 4 AND kid = '0'");
        RecordedChanges retired = new RecordedChanges();
        long v3 = source.changesSince(v2, retired);
        assertThat(retired.campaigns).singleElement().satisfies(c -> {
            assertThat(c.key("0").retiredAtMillis()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z").toEpochMilli());
            assertThat(c.key("k1").retiredAtMillis()).isEqualTo(SigningKey.NEVER);
        });

        db.sql("DELETE FROM campaign_secret WHERE campaign_id = 4 AND kid = '0'");
        RecordedChanges deleted = new RecordedChanges();
        source.changesSince(v3, deleted);
        assertThat(deleted.rows).containsExactly("campaign 4 USD [k1]");
    }

    @Test
    void deletionsComeFirstSoADeletedAndReinsertedRowSurvives() {
        DemoCatalog.seedIfEmpty(db.dataSource());
        long v1 = source.changesSince(0, new RecordedChanges());

        db.sql("DELETE FROM banner WHERE id IN (9, 10)");
        db.sql("INSERT INTO banner (id, campaign_id, landing_url) VALUES (10, 1, 'https://example.com/again')");
        db.sql("DELETE FROM publisher WHERE id = 100");
        RecordedChanges changes = new RecordedChanges();
        source.changesSince(v1, changes);

        assertThat(changes.rows).containsExactlyInAnyOrder("-banner 9", "-banner 10", "-publisher 100", "banner 10 1 https://example.com/again");
        assertThat(changes.rows.indexOf("-banner 10")).isLessThan(changes.rows.indexOf("banner 10 1 https://example.com/again"));
    }

    @Test
    void aVersionThisDatabaseNeverGaveOutMeansReloadEverything() {
        DemoCatalog.seedIfEmpty(db.dataSource());

        RecordedChanges changes = new RecordedChanges();
        long version = source.changesSince(Long.MAX_VALUE / 2, changes);

        assertThat(changes.rows.get(0)).isEqualTo("reset");
        assertThat(changes.rows).filteredOn(r -> r.startsWith("banner ")).hasSize(DemoCatalog.BANNERS);
        assertThat(version).isLessThan(Long.MAX_VALUE / 2);
    }

    @Test
    void everyCatalogWriteTakesANewerVersion() {
        db.sql("INSERT INTO campaign (id, name) VALUES (1, 'one')");
        long campaign = db.sqlLong("SELECT version FROM campaign WHERE id = 1");
        db.sql("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (1, '0', 's')");
        long secret = db.sqlLong("SELECT version FROM campaign_secret WHERE campaign_id = 1");
        db.sql("INSERT INTO banner (id, campaign_id, landing_url) VALUES (1, 1, 'https://example.com/1')");
        long banner = db.sqlLong("SELECT version FROM banner WHERE id = 1");
        db.sql("UPDATE campaign SET name = 'uno', version = 0 WHERE id = 1");   // a writer cannot set its own version
        long updated = db.sqlLong("SELECT version FROM campaign WHERE id = 1");

        assertThat(campaign).isPositive();
        assertThat(secret).isGreaterThan(campaign);
        assertThat(banner).isGreaterThan(secret);
        assertThat(updated).isGreaterThan(banner);
    }

    @Test
    void migrationMovesEachCampaignSecretToKidZeroAndDropsTheColumn() {
        try (EmbeddedDatabase server = EmbeddedDatabase.startTemporary();
             HikariDataSource pool = Database.pool(server.settings(), "migration-test", 2)) {
            Flyway.configure().dataSource(pool).locations("classpath:db/migration").target("1").load().migrate();
            try (var c = pool.getConnection(); var st = c.createStatement()) {
                st.execute("INSERT INTO campaign (id, name, currency, secret) VALUES (1, 'one', 'EUR', 's\u00e9cret-1'), (2, 'two', 'USD', 'secret-2')");
                st.execute("INSERT INTO banner (id, campaign_id, landing_url) VALUES (7, 1, 'https://example.com/7')");
            }
            Database.migrate(pool);

            RecordedChanges all = new RecordedChanges();
            new JdbcCatalogSource(pool).changesSince(0, all);
            assertThat(all.rows).contains("campaign 1 EUR [0]", "campaign 2 USD [0]", "banner 7 1 https://example.com/7");
            Campaign one = all.campaigns.stream().filter(c -> c.id() == 1).findFirst().orElseThrow();
            // A key from before contract v2 is legacy (V7): it still takes the v1 signatures its ad server sends.
            assertThat(one.key("0")).isEqualTo(SigningKey.of("0", "s\u00e9cret-1".getBytes(StandardCharsets.UTF_8), SigningKey.NEVER, true));
            try (var c = pool.getConnection(); var rs = c.getMetaData().getColumns(null, null, "campaign", "secret")) {
                assertThat(rs.next()).as("campaign.secret is gone").isFalse();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aCatalogMadeUnderTheOldSchemaKeepsSigningAfterTheUpgradeItsKeysLegacy() {
        try (EmbeddedDatabase server = EmbeddedDatabase.startTemporary();
             HikariDataSource pool = Database.pool(server.settings(), "legacy-migration-test", 2)) {
            // The schema before contract v2, with a catalog as the old admin API and demo seed left it.
            Flyway.configure().dataSource(pool).locations("classpath:db/migration").target("5").load().migrate();
            try (var c = pool.getConnection(); var st = c.createStatement()) {
                st.execute("INSERT INTO campaign (id, name, currency) VALUES (7, 'seven', 'EUR')");
                st.execute("INSERT INTO campaign_secret (campaign_id, kid, secret) VALUES (7, '0', 'demo-secret-7')");
                st.execute("INSERT INTO campaign_secret (campaign_id, kid, secret, retired_at) VALUES (7, 'old', 'retired-secret-7', now() - interval '1 day')");
                st.execute("INSERT INTO banner (id, campaign_id, landing_url) VALUES (7, 7, 'https://example.com/landing/7')");
                st.execute("INSERT INTO publisher (id, name) VALUES (3, 'three')");
            }
            // The version a gateway of the old build had loaded the whole catalog at.
            long versionBefore;
            try (var c = pool.getConnection(); var st = c.createStatement(); var rs = st.executeQuery("SELECT last_value FROM catalog_version")) {
                rs.next();
                versionBefore = rs.getLong(1);
            }

            Database.migrate(pool);

            // A gateway that loaded the old catalog picks the flag up incrementally; a new one in a full load.
            RecordedChanges changed = new RecordedChanges();
            new JdbcCatalogSource(pool).changesSince(versionBefore, changed);
            assertThat(changed.campaigns).singleElement().satisfies(c -> {
                assertThat(c.key("0").legacy()).isTrue();
                assertThat(c.key("old").legacy()).isTrue();
            });
            RecordedChanges all = new RecordedChanges();
            new JdbcCatalogSource(pool).changesSince(0, all);
            Campaign seven = all.campaigns.stream().filter(c -> c.id() == 7).findFirst().orElseThrow();
            assertThat(seven.key("0").legacy()).isTrue();
            assertThat(seven.key("old").isRetiredAt(System.currentTimeMillis())).isTrue();

            // What the old ad server sends, a v1 impression, still verifies under that key; a v1 click
            // verifies too, as v1 (which the gateway counts only as a suspect click).
            java.util.Map<String, String> rendering = java.util.Map.of("b", "7", "p", "3", "ts", "1700000000000", "n", "abc");
            byte[] v1 = io.adgrid.signing.BeaconSigner.decode(io.adgrid.signing.BeaconSigner.signV1(seven.key("0").spec(), rendering));
            assertThat(io.adgrid.signing.BeaconSigner.verify(seven.key("0").spec(), io.adgrid.event.EventType.IMPRESSION, rendering, v1,
                    seven.key("0").legacy()).version()).isEqualTo(io.adgrid.signing.BeaconSigner.Version.V1);

            // Keys made after the upgrade are v2 only; the admin API unmarks (and marks) a key, seen by the next refresh.
            CatalogAdmin admin = new CatalogAdmin(pool);
            assertThat(admin.addKey(7, "k2", new CatalogAdmin.Secret("a-new-v2-only-secret")).legacy()).isFalse();
            long versionNow = new JdbcCatalogSource(pool).changesSince(0, new RecordedChanges());
            assertThat(admin.setLegacy(7, "0", false).legacy()).isFalse();
            RecordedChanges unmarked = new RecordedChanges();
            new JdbcCatalogSource(pool).changesSince(versionNow, unmarked);
            assertThat(unmarked.campaigns).singleElement().satisfies(c -> {
                assertThat(c.key("0").legacy()).isFalse();
                assertThat(c.key("k2").legacy()).isFalse();
            });
            assertThat(admin.setLegacy(7, "0", true).legacy()).isTrue();
            assertThat(admin.campaign(7).orElseThrow().keys()).extracting(CatalogAdmin.Key::kid, CatalogAdmin.Key::legacy)
                    .contains(org.assertj.core.groups.Tuple.tuple("0", true), org.assertj.core.groups.Tuple.tuple("k2", false));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
