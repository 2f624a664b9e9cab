package io.adgrid.gatling.beacon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {

    @Test
    void demoCatalogPutsBannerBInCampaignBMinusOneModTenPlusOne() {
        Catalog demo = Catalog.demo();
        assertThat(demo.campaignOf(7)).isEqualTo(7);
        assertThat(demo.campaignOf(10)).isEqualTo(10);
        assertThat(demo.campaignOf(11)).isEqualTo(1);
        assertThat(demo.campaignOf(1000)).isEqualTo(10);
        assertThat(demo.campaigns()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(demo.publishers()).isEqualTo(100);
        assertThat(demo.landingOf(7)).isEqualTo("https://example.com/landing/7");
        assertThat(demo.hasBanner(1001)).isFalse();
        assertThat(demo.hasBanner(demo.unknownBanner())).isFalse();
    }

    @Test
    void demoCampaignsSignWithTheirDemoSecret() {
        Catalog demo = Catalog.demo();
        assertThat(demo.keyOf(3).getEncoded()).isEqualTo("demo-secret-3".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void bannersOfACampaignAreExactlyItsBannersInIdOrder() {
        Catalog demo = Catalog.demo();
        long[] ofOne = demo.bannersOf(1);
        assertThat(ofOne).hasSize(100).startsWith(1, 11, 21).endsWith(991);
        for (long b : ofOne) {
            assertThat(demo.campaignOf(b)).isEqualTo(1);
        }
        assertThat(demo.bannersOf(11)).isEmpty();
    }

    @Test
    void anotherBannerOfTheSameCampaignIsADifferentBannerOfThatCampaign() {
        Catalog demo = Catalog.demo();
        long other = demo.otherBannerOfSameCampaign(997);
        assertThat(other).isNotEqualTo(997);
        assertThat(demo.campaignOf(other)).isEqualTo(demo.campaignOf(997));
        assertThat(demo.otherCampaign(4)).isNotEqualTo(4);
    }

    @Test
    void popularBannersAreSkewedTowardsTheFirstOnes() {
        Catalog demo = Catalog.demo();
        SplittableRandom random = new SplittableRandom(42);
        int firstTenth = 0;
        int draws = 100_000;
        for (int i = 0; i < draws; i++) {
            long b = demo.popularBanner(random);
            assertThat(b).isBetween(1L, 1000L);
            if (b <= 100) {
                firstTenth++;
            }
        }
        // P(rank < n/10) = sqrt(0.1) = 0.316
        assertThat(firstTenth / (double) draws).isBetween(0.30, 0.33);
    }

    @Test
    void catalogFileGivesBannersCampaignsAndSecrets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.csv");
        Files.writeString(file, "# banner,campaign,secret\n100,5,s-five\n101,5,s-five\n\n200,6,s-six\n");
        Catalog c = Catalog.fromFile(file, 3, "");
        assertThat(c.campaigns()).containsExactly(5, 6);
        assertThat(c.campaignOf(101)).isEqualTo(5);
        assertThat(c.bannerCount()).isEqualTo(3);
        assertThat(c.keyOf(6).getEncoded()).isEqualTo("s-six".getBytes(StandardCharsets.UTF_8));
        assertThat(c.landingOf(100)).isNull();
        assertThat(c.otherBannerOfSameCampaign(100)).isEqualTo(101);
    }

    @Test
    void catalogFileWithTwoSecretsForOneCampaignIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.csv");
        Files.writeString(file, "1,1,a\n2,1,b\n");
        assertThatThrownBy(() -> Catalog.fromFile(file, 1, "")).hasMessageContaining("two secrets");
    }
}
