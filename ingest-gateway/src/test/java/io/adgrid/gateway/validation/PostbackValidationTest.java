package io.adgrid.gateway.validation;

import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_2;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_5_OWN_ATTRIBUTION;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.signed;
import static io.adgrid.gateway.TestCatalog.signedWith;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.adgrid.attribution.Attribution;
import io.adgrid.attribution.ClickId;
import io.adgrid.catalog.Campaign;
import io.adgrid.event.EventType;
import io.adgrid.gateway.InMemoryCatalog;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.signing.BeaconSigner;
import org.junit.jupiter.api.Test;

/** {@code POST /s click=…} (issue 21): a sale by the id the click's landing URL got, attributed to the click's banner and publisher. */
class PostbackValidationTest {

    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final long HOUR = Duration.ofHours(1).toMillis();

    private final BeaconValidator validator = new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults());

    @Test
    void aClickHasAnIdAndASaleByItCountsForItsBannerAndPublisher() {
        Validation.Accepted click = (Validation.Accepted) validator.validate(EventType.CLICK,
                signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, NOW - 5_000, "abc")));
        assertThat(click.clickId()).isNotNull();

        GridEvent sale = accepted(postback(CAMPAIGN_1, click.clickId(), "o-1", "19.90", NOW));

        assertThat(sale.type()).isEqualTo(EventType.SALE);
        assertThat(sale.campaignId()).isEqualTo(1);
        assertThat(sale.bannerId()).isEqualTo(7);
        assertThat(sale.publisherId()).isEqualTo(3);
        assertThat(sale.orderId()).isEqualTo("o-1");
        assertThat(sale.amountMicros()).isEqualTo(19_900_000);
        assertThat(sale.tsMillis()).isEqualTo(NOW);
    }

    @Test
    void aSaleIsAttributedUpToThirtyDaysAfterItsClickAndNotBeforeItOrLater() {
        String monthOld = idOfClickAt(NOW - 30 * DAY);
        String older = idOfClickAt(NOW - 30 * DAY - 1);
        String ahead = idOfClickAt(NOW + 1);

        assertThat(accepted(postback(CAMPAIGN_1, monthOld, "o-1", "1", NOW)).tsMillis()).isEqualTo(NOW);
        assertRejected(postback(CAMPAIGN_1, older, "o-2", "1", NOW), 422, "outside_window");
        assertRejected(postback(CAMPAIGN_1, ahead, "o-3", "1", NOW), 422, "outside_window");
    }

    @Test
    void theWindowFollowsTheSettings() {
        BeaconValidator week = new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK,
                new ValidationSettings(Duration.ofMinutes(15), Duration.ofMinutes(1), "agclid", Duration.ofDays(7)));

        assertThat(week.validate(EventType.SALE, postback(CAMPAIGN_1, idOfClickAt(NOW - 7 * DAY), "o-1", "1", NOW)))
                .isInstanceOf(Validation.Accepted.class);
        assertThat(((Validation.Rejected) week.validate(EventType.SALE, postback(CAMPAIGN_1, idOfClickAt(NOW - 7 * DAY - 1), "o-2", "1", NOW)))
                .rejection().code()).isEqualTo("outside_window");
    }

    /** Campaign 5 counts sales an hour after their click; campaign 1, without a window of its own, the deployment's 30 days. */
    @Test
    void aCampaignsOwnWindowDecidesNotTheDeployments() {
        String hourOld = idOfClickAt(CAMPAIGN_5_OWN_ATTRIBUTION, 50, NOW - HOUR);
        String older = idOfClickAt(CAMPAIGN_5_OWN_ATTRIBUTION, 50, NOW - HOUR - 1);

        assertThat(accepted(postback(CAMPAIGN_5_OWN_ATTRIBUTION, hourOld, "o-1", "1", NOW)).bannerId()).isEqualTo(50);
        assertRejected(postback(CAMPAIGN_5_OWN_ATTRIBUTION, older, "o-2", "1", NOW), 422, "outside_window");
        // the deployment's window would have taken it
        assertThat(accepted(postback(CAMPAIGN_1, idOfClickAt(NOW - HOUR - 1), "o-3", "1", NOW)).bannerId()).isEqualTo(7);
    }

    /**
     * The id does not carry a window: a postback meets its campaign's window as the catalog holds it when
     * the postback arrives, so a shorter window refuses clicks made under a longer one, and a cleared one
     * gives them the deployment's again.
     */
    @Test
    void theWindowIsTheCampaignsAtTheTimeOfThePostback() {
        Campaign week = CAMPAIGN_1.withAttribution(new Attribution(null, Duration.ofDays(7)));
        Campaign minute = CAMPAIGN_1.withAttribution(new Attribution(null, Duration.ofMinutes(1)));
        String dayOld = idOfClickAt(NOW - DAY);

        Map<String, String> sale = postback(CAMPAIGN_1, dayOld, "o-1", "1", NOW);

        assertThat(validatorWith(week).validate(EventType.SALE, sale)).isInstanceOf(Validation.Accepted.class);
        assertThat(validatorWith(minute).validate(EventType.SALE, sale))
                .isEqualTo(new Validation.Rejected(Rejection.OUTSIDE_WINDOW));
        assertThat(validatorWith(minute.withAttribution(Attribution.DEFAULTS)).validate(EventType.SALE, sale))
                .isInstanceOf(Validation.Accepted.class);
    }

    @Test
    void aClickOfACampaignWithItsOwnParameterHasItsIdNamedSo() {
        Validation.Accepted own = (Validation.Accepted) validator.validate(EventType.CLICK,
                signed(EventType.CLICK, CAMPAIGN_5_OWN_ATTRIBUTION, beacon(50, 3, NOW - 5_000, "abc")));
        Validation.Accepted other = (Validation.Accepted) validator.validate(EventType.CLICK,
                signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, NOW - 5_000, "abc")));

        assertThat(own.clickParam()).isEqualTo("ref");
        assertThat(own.clickId()).isNotNull();
        assertThat(other.clickParam()).isEqualTo("agclid");
        // a campaign's own name beats a deployment that gives none
        BeaconValidator none = new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK,
                new ValidationSettings(Duration.ofMinutes(15), Duration.ofMinutes(1), "", Duration.ofDays(30)));
        Validation.Accepted ownWithoutDefault = (Validation.Accepted) none.validate(EventType.CLICK,
                signed(EventType.CLICK, CAMPAIGN_5_OWN_ATTRIBUTION, beacon(50, 3, NOW - 5_000, "abc")));
        assertThat(ownWithoutDefault.clickParam()).isEqualTo("ref");
        assertThat(ownWithoutDefault.clickId()).isEqualTo(own.clickId());
    }

    @Test
    void anIdAdGridDidNotMakeIsAnUnknownClick() {
        String id = idOfClickAt(NOW - 1_000);
        char last = id.charAt(id.length() - 1);
        String changed = id.substring(0, id.length() - 1) + (last == 'A' ? 'B' : 'A');
        String otherKey = ClickId.of(BeaconSigner.key("not-the-campaigns"), 1, "0", 7, 3, NOW - 1_000, new byte[16]);
        String otherCampaign = ClickId.of(CAMPAIGN_2.key("0").spec(), 99, "0", 7, 3, NOW - 1_000, new byte[16]);

        for (String bad : new String[] {changed, otherKey, otherCampaign, "x", "not-a-click-id-at-all-but-long-enough"}) {
            assertRejected(postback(CAMPAIGN_1, bad, "o-1", "1", NOW), 404, "unknown_click");
        }
    }

    @Test
    void theSaleMustBeSignedWithTheClicksCampaignsKey() {
        String id = idOfClickAt(NOW - 1_000);
        Map<String, String> params = unsigned(id, "o-1", "1", NOW);

        assertRejected(signedWith("demo-secret-2", params), 403, "bad_signature");
        // the v1 string is never accepted here, and the click is not a sale
        assertRejected(TestCatalog.signedV1(CAMPAIGN_1, params), 403, "bad_signature");
        assertRejected(signed(EventType.CLICK, CAMPAIGN_1, params), 403, "bad_signature");
    }

    @Test
    void aSaleByClickNamesNoBannerOrPublisher() {
        String id = idOfClickAt(NOW - 1_000);
        for (String extra : new String[] {"b", "p"}) {
            Map<String, String> params = unsigned(id, "o-1", "1", NOW);
            params.put(extra, "7");
            assertRejected(signed(EventType.SALE, CAMPAIGN_1, params), 400, "click_with_banner");
        }
        Map<String, String> unknown = unsigned(id, "o-1", "1", NOW);
        unknown.put("url", "https://evil.example/");
        assertRejected(signed(EventType.SALE, CAMPAIGN_1, unknown), 400, "unknown_parameter");
    }

    @Test
    void theOtherChecksOfASaleStillApply() {
        String id = idOfClickAt(NOW - 1_000);
        assertRejected(postback(CAMPAIGN_1, id, "o-1", "-1", NOW), 422, "negative_amount");
        assertRejected(postback(CAMPAIGN_1, id, "o 1", "1", NOW), 400, "bad_order");
        assertRejected(postback(CAMPAIGN_1, id, "o-1", "1", NOW - 16 * 60_000), 422, "ts_too_old");
    }

    @Test
    void withoutAClickParameterNoIdIsMade() {
        BeaconValidator none = new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK,
                new ValidationSettings(Duration.ofMinutes(15), Duration.ofMinutes(1), "", Duration.ofDays(30)));

        Validation.Accepted click = (Validation.Accepted) none.validate(EventType.CLICK,
                signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, NOW - 5_000, "abc")));

        assertThat(click.clickId()).isNull();
    }

    /** The id of a click on banner 7 by publisher 3 (campaign 1) rendered at {@code ts}. */
    private static String idOfClickAt(long ts) {
        return idOfClickAt(CAMPAIGN_1, 7, ts);
    }

    /** The id of a click on this banner of the campaign by publisher 3, rendered at {@code ts}. */
    private static String idOfClickAt(Campaign c, long banner, long ts) {
        byte[] identity = BeaconSigner.mac(c.key("0").spec(), "b=" + banner + "&n=n" + ts + "&p=3&ts=" + ts);
        return ClickId.of(c.key("0").spec(), c.id(), "0", banner, 3, ts, identity);
    }

    /** The test catalog with campaign 1 as given: the catalog as a refresh left it. */
    private static BeaconValidator validatorWith(Campaign campaign1) {
        InMemoryCatalog catalog = new InMemoryCatalog(List.of(campaign1, CAMPAIGN_2, CAMPAIGN_5_OWN_ATTRIBUTION), List.of(TestCatalog.BANNER_7, TestCatalog.BANNER_50), List.of(TestCatalog.PUBLISHER_3));
        return new BeaconValidator(catalog, TestCatalog.CLOCK, ValidationSettings.defaults());
    }

    private static Map<String, String> unsigned(String click, String order, String amount, long ts) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("click", click);
        p.put("order", order);
        p.put("amount", amount);
        p.put("ts", Long.toString(ts));
        return p;
    }

    private static Map<String, String> postback(Campaign campaign, String click, String order, String amount, long ts) {
        return signed(EventType.SALE, campaign, unsigned(click, order, amount, ts));
    }

    private GridEvent accepted(Map<String, String> params) {
        Validation v = validator.validate(EventType.SALE, params);
        assertThat(v).as(String.valueOf(v)).isInstanceOf(Validation.Accepted.class);
        return ((Validation.Accepted) v).event();
    }

    private void assertRejected(Map<String, String> params, int status, String code) {
        Validation v = validator.validate(EventType.SALE, params);
        assertThat(v).as(params.toString()).isInstanceOf(Validation.Rejected.class);
        Rejection r = ((Validation.Rejected) v).rejection();
        assertThat(r.code()).as(params.toString()).isEqualTo(code);
        assertThat(r.status()).isEqualTo(status);
    }
}
