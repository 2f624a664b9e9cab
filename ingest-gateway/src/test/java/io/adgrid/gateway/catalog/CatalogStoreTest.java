package io.adgrid.gateway.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import io.adgrid.attribution.Attribution;
import io.adgrid.catalog.Banner;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;
import io.adgrid.catalog.SigningKey;
import io.adgrid.signing.BeaconSigner;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The off-heap catalog files: what goes in comes out, survives a reopen, and a full store says which setting to raise. */
class CatalogStoreTest {

    private static final CatalogLimits SMALL = new CatalogLimits(100, 10, 5);
    private static final Campaign ROTATING = new Campaign(2, "EUR", Map.of(
            "0", SigningKey.of("0", "first-secret", 1_700_000_000_000L),
            "k1", SigningKey.of("k1", "second-secret")));

    @TempDir
    Path dir;

    /**
     * Issue 18, seed 21: on SIGTERM, Chronicle Map's own JVM shutdown hook closed the catalog while the
     * gateway still answered (500 on every request until the graceful stop ran, 6 s later). The gateway
     * closes its catalog itself, after it has stopped taking requests: its maps are not in the hook's list.
     */
    @Test
    void theCatalogIsNotLeftToChronicleMapsCloseOnExitHook() throws Exception {
        Class<?> hook = Class.forName("net.openhft.chronicle.hash.impl.ChronicleHashCloseOnExitHook");
        java.lang.reflect.Field maps = hook.getDeclaredField("maps");
        maps.setAccessible(true);
        int before;
        synchronized (hook) {
            before = ((Map<?, ?>) maps.get(null)).size();
        }
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.publisher(3);
            synchronized (hook) {
                assertThat(((Map<?, ?>) maps.get(null)).size()).as("maps the hook would close on exit").isEqualTo(before);
            }
        }
    }

    @Test
    void bannersPublishersAndCampaignsReadBackAsWritten() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(Campaign.of(1, "USD", "secret-1"));
            store.campaign(ROTATING);
            store.banner(7, 1, "https://example.com/landing/7");
            store.banner(8, 2, "https://shop.example.org/p?id=8&utm_source=adgrid&x=\u00e9");
            store.publisher(3);

            BannerEntry into = new BannerEntry();
            assertThat(store.banner(7, into)).isTrue();
            assertThat(into.campaignId()).isEqualTo(1);
            assertThat(into.landingUrl().toString()).isEqualTo("https://example.com/landing/7");
            assertThat(store.banner(8, into)).isTrue();
            assertThat(into.toBanner(8).landingUrl()).isEqualTo("https://shop.example.org/p?id=8&utm_source=adgrid&x=\u00e9");
            assertThat(store.banner(9, into)).isFalse();
            assertThat(store.hasPublisher(3)).isTrue();
            assertThat(store.hasPublisher(4)).isFalse();
            assertThat(store.campaign(2)).isEqualTo(ROTATING);
            assertThat(store.campaign(3)).isNull();
            assertThat(store.bannerCount()).isEqualTo(2);
            assertThat(store.publisherCount()).isEqualTo(1);
            assertThat(store.campaignCount()).isEqualTo(2);
        }
    }

    @Test
    void aLookupAfterAnyChangeSeesTheChangeThoughTheEntryWasReadBefore() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.banner(7, 1, "https://example.com/old");
            store.publisher(3);
            BannerEntry into = new BannerEntry();
            for (int i = 0; i < 2; i++) { // the second round is answered from the hot entries
                assertThat(store.banner(7, into)).isTrue();
                assertThat(store.hasPublisher(3)).isTrue();
            }

            store.banner(7, 2, "https://example.com/new");
            assertThat(store.banner(7, into)).isTrue();
            assertThat(into.toBanner(7)).isEqualTo(new Banner(7, 2, "https://example.com/new"));

            store.bannerRemoved(7);
            store.publisherRemoved(3);
            assertThat(store.banner(7, into)).isFalse();
            assertThat(store.hasPublisher(3)).isFalse();

            store.banner(8, 1, "https://example.com/8");
            store.publisher(4);
            assertThat(store.banner(8, into) && store.hasPublisher(4)).isTrue();
            store.reset();
            store.markLoaded(1);
            assertThat(store.banner(8, into)).isFalse();
            assertThat(store.hasPublisher(4)).isFalse();
        }
    }

    @Test
    void idsSharingAHotSlotAreNeverMistakenForEachOther() {
        // More banners than hot slots: some share a slot, and each lookup must still find its own.
        int count = HotEntries.SLOTS * 2;
        try (CatalogStore store = CatalogStore.open(dir, new CatalogLimits(count, count, 1))) {
            for (long id = 1; id <= count; id++) {
                store.banner(id, id % 7, "https://example.com/" + id);
                if (id % 2 == 0) {
                    store.publisher(id);
                }
            }
            BannerEntry into = new BannerEntry();
            for (int round = 0; round < 2; round++) {
                for (long id = 1; id <= count; id++) {
                    assertThat(store.banner(id, into)).isTrue();
                    assertThat(into.campaignId()).isEqualTo(id % 7);
                    assertThat(into.landingUrl().toString()).isEqualTo("https://example.com/" + id);
                    assertThat(store.hasPublisher(id)).as("publisher %d", id).isEqualTo(id % 2 == 0);
                }
            }
            assertThat(store.banner(count + 1, into)).isFalse();
        }
    }

    @Test
    void updatesReplaceAndRemovalsForget() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(Campaign.of(1, "USD", "secret-1"));
            store.banner(7, 1, "https://example.com/old");
            store.banner(7, 1, "https://example.com/new");
            store.publisher(3);
            store.publisher(3);
            assertThat(store.bannerCount()).isEqualTo(1);
            assertThat(store.publisherCount()).isEqualTo(1);
            BannerEntry into = new BannerEntry();
            store.banner(7, into);
            assertThat(into.landingUrl().toString()).isEqualTo("https://example.com/new");

            store.bannerRemoved(7);
            store.publisherRemoved(3);
            store.campaignRemoved(1);

            assertThat(store.banner(7, into)).isFalse();
            assertThat(store.hasPublisher(3)).isFalse();
            assertThat(store.campaign(1)).isNull();
            assertThat(store.bannerCount()).isZero();
            assertThat(store.publisherCount()).isZero();
        }
    }

    @Test
    void reopenedStoreHoldsTheCatalogAndItsVersion() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThat(store.isLoaded()).isFalse();
            store.campaign(ROTATING);
            store.banner(8, 2, "https://example.com/landing/8");
            store.publisher(4);
            store.markLoaded(42);
        }

        try (CatalogStore again = CatalogStore.open(dir, SMALL)) {
            assertThat(again.isLoaded()).isTrue();
            assertThat(again.version()).isEqualTo(42);
            BannerEntry into = new BannerEntry();
            assertThat(again.banner(8, into)).isTrue();
            assertThat(into.campaignId()).isEqualTo(2);
            assertThat(again.hasPublisher(4)).isTrue();
            assertThat(again.campaign(2)).isEqualTo(ROTATING);
            assertThat(again.campaign(2).key("0").isRetiredAt(1_700_000_000_000L)).isTrue();
            assertThat(again.campaign(2).key("k1").isRetiredAt(Long.MAX_VALUE - 1)).isFalse();
            assertThat(again.bannerCount()).isEqualTo(1);
        }
    }

    @Test
    void aCampaignsOwnAttributionSurvivesAReopen() {
        Campaign own = ROTATING.withAttribution(new Attribution("ref", Duration.ofHours(36)));
        Campaign paramOnly = new Campaign(3, "USD", Map.of("0", SigningKey.of("0", "third-secret")), new Attribution("sale_ref", null));
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(own);
            store.campaign(paramOnly);
            store.markLoaded(7);
        }

        try (CatalogStore again = CatalogStore.open(dir, SMALL)) {
            assertThat(again.campaign(2)).isEqualTo(own);
            assertThat(again.campaign(3).attribution()).isEqualTo(new Attribution("sale_ref", null));
        }
    }

    /** Files written before per-campaign attribution (format 2) hold no attribution: their campaigns take the deployment's. */
    @Test
    void anEntryOfTheFormatBeforeAttributionReadsAsTheDeploymentsSettings() {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        bytes.writeStopBit(2);
        bytes.writeUtf8("EUR");
        bytes.writeStopBit(1);
        byte[] secret = "first-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        bytes.writeUtf8("0");
        bytes.writeStopBit(secret.length);
        bytes.write(secret);
        bytes.writeLong(SigningKey.NEVER);
        bytes.writeBoolean(false);

        CampaignEntry entry = new CampaignEntry();
        entry.readMarshallable(bytes);

        assertThat(entry.toCampaign(2)).isEqualTo(new Campaign(2, "EUR", Map.of("0", SigningKey.of("0", "first-secret"))));
        assertThat(entry.toCampaign(2).attribution()).isEqualTo(Attribution.DEFAULTS);
    }

    @Test
    void filesLeftOpenByADeadProcessAreRecoveredAtOpen() throws Exception {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(Campaign.of(1, "USD", "secret-1"));
            store.banner(7, 1, "https://example.com/landing/7");
            store.markLoaded(5);
        }
        Files.writeString(dir.resolve("open"), "");   // what a kill -9 leaves behind

        try (CatalogStore again = CatalogStore.open(dir, SMALL)) {
            assertThat(again.banner(7, new BannerEntry())).isTrue();
            assertThat(again.version()).isEqualTo(5);
        }
        assertThat(dir.resolve("open")).doesNotExist();
    }

    @Test
    void oneMoreBannerThanTheLimitIsRefusedNamingTheSetting() {
        try (CatalogStore store = CatalogStore.open(dir, new CatalogLimits(3, 10, 5))) {
            store.banner(1, 1, "https://example.com/1");
            store.banner(2, 1, "https://example.com/2");
            store.banner(3, 1, "https://example.com/3");
            store.banner(3, 1, "https://example.com/3b");   // an update of a held banner still fits

            assertThatThrownBy(() -> store.banner(4, 1, "https://example.com/4"))
                    .isInstanceOf(CatalogFullException.class)
                    .hasMessageContaining("ADGRID_CATALOG_MAXBANNERS")
                    .hasMessageContaining("adgrid.catalog.max-banners")
                    .hasMessageContaining("(3)");
            assertThat(store.banner(4, new BannerEntry())).isFalse();
            assertThat(store.bannerCount()).isEqualTo(3);
        }
    }

    @Test
    void tooManyPublishersOrCampaignsNameTheirSettings() {
        try (CatalogStore store = CatalogStore.open(dir, new CatalogLimits(10, 1, 1))) {
            store.publisher(1);
            store.campaign(Campaign.of(1, "USD", "s"));

            assertThatThrownBy(() -> store.publisher(2)).isInstanceOf(CatalogFullException.class)
                    .hasMessageContaining("ADGRID_CATALOG_MAXPUBLISHERS");
            assertThatThrownBy(() -> store.campaign(Campaign.of(2, "USD", "s"))).isInstanceOf(CatalogFullException.class)
                    .hasMessageContaining("ADGRID_CATALOG_MAXCAMPAIGNS");
        }
    }

    @Test
    void largerLimitsCopyTheHeldCatalogIntoBiggerFiles() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(Campaign.of(1, "USD", "secret-1"));
            for (long b = 1; b <= 100; b++) {
                store.banner(b, 1, "https://example.com/landing/" + b);
            }
            store.publisher(3);
            store.markLoaded(9);
        }

        try (CatalogStore bigger = CatalogStore.open(dir, new CatalogLimits(1_000, 100, 50))) {
            assertThat(bigger.bannerCount()).isEqualTo(100);
            assertThat(bigger.version()).isEqualTo(9);
            assertThat(bigger.hasPublisher(3)).isTrue();
            assertThat(bigger.campaign(1)).isNotNull();
            bigger.banner(101, 1, "https://example.com/landing/101");
            assertThat(bigger.bannerCount()).isEqualTo(101);
        }
    }

    @Test
    void reopeningWithALimitBelowWhatTheFilesHoldFailsAtStartNamingTheSetting() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            for (long b = 1; b <= 20; b++) {
                store.banner(b, 1, "https://example.com/landing/" + b);
            }
            store.markLoaded(3);
        }

        assertThatThrownBy(() -> CatalogStore.open(dir, new CatalogLimits(10, 10, 5)))
                .isInstanceOf(CatalogFullException.class)
                .hasMessageContaining("ADGRID_CATALOG_MAXBANNERS");
        // The held files are untouched: the old limits still open them whole.
        try (CatalogStore again = CatalogStore.open(dir, SMALL)) {
            assertThat(again.bannerCount()).isEqualTo(20);
        }
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThatThrownBy(() -> CatalogStore.open(dir, SMALL))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ADGRID_CATALOG_DIR");
        }
    }

    @Test
    void aResetFillsANewCatalogBesideTheServingOneAndSwitchesWhenItIsLoaded() throws Exception {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(Campaign.of(1, "USD", "secret-1"));
            store.banner(7, 1, "https://example.com/landing/7");
            store.publisher(3);
            store.markLoaded(8);

            store.reset();
            store.campaign(Campaign.of(2, "EUR", "secret-2"));
            store.banner(9, 2, "https://example.com/landing/9");
            store.publisher(4);

            // Until the new catalog is whole, readers see the old one, whole.
            assertThat(store.banner(7, new BannerEntry())).isTrue();
            assertThat(store.hasPublisher(3)).isTrue();
            assertThat(store.campaign(1)).isNotNull();
            assertThat(store.banner(9, new BannerEntry())).isFalse();
            assertThat(store.campaign(2)).isNull();
            assertThat(store.version()).isEqualTo(8);

            store.markLoaded(3);

            assertThat(store.banner(7, new BannerEntry())).isFalse();
            assertThat(store.hasPublisher(3)).isFalse();
            assertThat(store.campaign(1)).isNull();
            assertThat(store.banner(9, new BannerEntry())).isTrue();
            assertThat(store.hasPublisher(4)).isTrue();
            assertThat(store.campaign(2)).isNotNull();
            assertThat(store.bannerCount()).isEqualTo(1);
            assertThat(store.version()).isEqualTo(3);
        }
        assertThat(mapFiles()).containsExactlyInAnyOrder("banners.cm3.1", "publishers.cm3.1", "campaigns.cm3.1");
        try (CatalogStore reopened = CatalogStore.open(dir, SMALL)) {
            assertThat(reopened.banner(9, new BannerEntry())).isTrue();
            assertThat(reopened.banner(7, new BannerEntry())).isFalse();
            assertThat(reopened.version()).isEqualTo(3);
        }
    }

    @Test
    void aReloadCutShortIsDroppedAndTheOldCatalogServesOn() throws Exception {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.banner(7, 1, "https://example.com/landing/7");
            store.markLoaded(8);
            store.reset();
            store.banner(9, 2, "https://example.com/landing/9");

            store.discardReload();

            assertThat(store.banner(7, new BannerEntry())).isTrue();
            assertThat(store.banner(9, new BannerEntry())).isFalse();
            assertThat(store.version()).isEqualTo(8);
            assertThat(mapFiles()).containsExactlyInAnyOrder("banners.cm3", "publishers.cm3", "campaigns.cm3");
        }
    }

    @Test
    void filesOfAReloadThatNeverSwitchedAreDeletedAtTheNextOpen() throws Exception {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.banner(7, 1, "https://example.com/landing/7");
            store.markLoaded(8);
        }
        Files.writeString(dir.resolve("banners.cm3.1"), "left by a process that died during a reload");

        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThat(store.banner(7, new BannerEntry())).isTrue();
        }
        assertThat(mapFiles()).containsExactlyInAnyOrder("banners.cm3", "publishers.cm3", "campaigns.cm3");
    }

    private java.util.List<String> mapFiles() throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".cm3")).toList();
        }
    }

    @Test
    void secretsAppearInNoDescription() {
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            store.campaign(ROTATING);
            assertThat(store.toString()).doesNotContain("first-secret").doesNotContain("second-secret");
            assertThat(store.campaign(2).toString()).doesNotContain("first-secret").doesNotContain("second-secret").contains("k1");
            assertThat(CampaignEntry.of(ROTATING).toString()).doesNotContain("first-secret").doesNotContain("second-secret");
            assertThat(store.campaign(2).key("k1").toString()).doesNotContain("second-secret");
        }
    }

    @Test
    void theDirectoryIsPrivateToItsOwner() throws Exception {
        CatalogStore.open(dir.resolve("catalog"), SMALL).close();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("catalog")))).isEqualTo("rwx------");
    }

    /** Issue 23: a gateway restarted without its database answered every request-signed body 503 until its first refresh. */
    @Test
    void senderKeysOutliveARestartInThePrivateDirectoryAndAreRewrittenOnlyWhenTheyChange() throws Exception {
        byte[] secret = "sender-secret".getBytes(StandardCharsets.UTF_8);
        byte[] previous = "old-secret".getBytes(StandardCharsets.UTF_8);
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThat(store.senderKeysLoaded()).isFalse();
            store.senderKeys(List.of(new SenderKey("ad-server-1", secret, previous, 1_700_000_000_000L, false, List.of(9L, 4L)),
                    new SenderKey("off", secret, null, 0, true, List.of())));
        }
        Path file = dir.resolve(SenderKeyFile.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThat(store.senderKeysLoaded()).as("known before any refresh").isTrue();
            SenderKey key = store.senderKey("ad-server-1");
            assertThat(key.secret()).isEqualTo(BeaconSigner.key(secret));
            assertThat(key.previousAt(1_699_999_999_999L)).isEqualTo(BeaconSigner.key(previous));
            assertThat(key.previousAt(1_700_000_000_000L)).isNull();
            assertThat(key.campaigns()).containsExactly(4, 9);
            assertThat(store.senderKey("off").disabled()).isTrue();
            assertThat(store.senderKey("nobody")).isNull();

            long written = Files.getLastModifiedTime(file).toMillis();
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(written - 60_000));
            store.senderKeys(List.of(new SenderKey("ad-server-1", secret, previous, 1_700_000_000_000L, false, List.of(4L, 9L)),
                    new SenderKey("off", secret, null, 0, true, List.of())));
            assertThat(Files.getLastModifiedTime(file).toMillis()).as("the same keys: not written again").isEqualTo(written - 60_000);

            store.senderKeys(List.of());
        }
        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThat(store.senderKeysLoaded()).isTrue();
            assertThat(store.senderKey("ad-server-1")).as("removed by the last refresh").isNull();
        }
    }

    @Test
    void anUnreadableSenderKeyFileLeavesTheKeysToTheFirstRefresh() throws Exception {
        CatalogStore.open(dir, SMALL).close();
        Files.writeString(dir.resolve(SenderKeyFile.FILE), "# AdGrid gateway: sender keys as of the last catalog refresh, format 1\nkid-only\n");

        try (CatalogStore store = CatalogStore.open(dir, SMALL)) {
            assertThat(store.senderKeysLoaded()).isFalse();
        }
    }
}
