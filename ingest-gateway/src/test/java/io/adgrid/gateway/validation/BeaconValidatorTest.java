package io.adgrid.gateway.validation;

import static io.adgrid.gateway.TestCatalog.BANNER_7;
import static io.adgrid.gateway.TestCatalog.BANNER_8;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_1;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_2;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_3;
import static io.adgrid.gateway.TestCatalog.CAMPAIGN_4_LEGACY;
import static io.adgrid.gateway.TestCatalog.NOW;
import static io.adgrid.gateway.TestCatalog.beacon;
import static io.adgrid.gateway.TestCatalog.sale;
import static io.adgrid.gateway.TestCatalog.signed;
import static io.adgrid.gateway.TestCatalog.signedV1;
import static io.adgrid.gateway.TestCatalog.signedWith;
import static io.adgrid.gateway.TestCatalog.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import io.adgrid.event.EventType;
import io.adgrid.gateway.TestCatalog;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.signing.BeaconSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BeaconValidatorTest {

    private static final long FIFTEEN_MINUTES = 15 * 60_000L;
    private static final long ONE_MINUTE = 60_000L;
    private static final long TS = NOW - 5_000;

    private final BeaconValidator validator =
            new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK, ValidationSettings.defaults());

    // ---- contract v2: the type is signed ------------------------------------------------------

    @ParameterizedTest
    @EnumSource(EventType.class)
    void aBeaconSignedForOneTypeIsRefusedAsEveryOther(EventType signedAs) {
        Map<String, String> params = signedAs == EventType.SALE ? sale(7, 3, "o-1", "1", TS) : beacon(7, 3, TS, "abc");
        Map<String, String> signedParams = signed(signedAs, CAMPAIGN_1, params);
        for (EventType sentAs : List.of(EventType.IMPRESSION, EventType.CLICK)) {
            if (sentAs != signedAs && signedAs != EventType.SALE) {
                assertRejected(sentAs, signedParams, 403, "bad_signature");
            }
        }
        if (signedAs != EventType.SALE) {
            // The same parameters with an order and amount, signed as this beacon, are not a sale.
            Map<String, String> asSale = signed(signedAs, CAMPAIGN_1, sale(7, 3, "o-1", "1", TS));
            assertRejected(EventType.SALE, asSale, 403, "bad_signature");
        }
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void aV1SignatureIsRefusedUnderAV2Key(EventType type) {
        Map<String, String> params = type == EventType.SALE ? sale(7, 3, "o-1", "1", TS) : beacon(7, 3, TS, "abc");

        assertRejected(type, signedV1(CAMPAIGN_1, params), 403, "bad_signature");
    }

    /** Unique reach (issue 21): an impression's u reaches the grid as its hash; it is signed like every parameter. */
    @Test
    void anImpressionsUserGoesToTheGridAsItsHashAndIsSigned() {
        Map<String, String> seen = with(beacon(7, 3, TS, "abc"), "u", "user-42.a:b_c");
        assertThat(accepted(EventType.IMPRESSION, signed(EventType.IMPRESSION, CAMPAIGN_1, seen)).user())
                .isEqualTo(io.adgrid.grid.reach.Reach.userHash("user-42.a:b_c")).isNotZero();
        assertThat(accepted(EventType.IMPRESSION, signed(EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, "abd"))).user()).isZero();
        assertThat(accepted(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_1, seen)).user()).as("clicks reach no one").isZero();
        // u added after signing, or changed: not what the ad server signed
        assertRejected(EventType.IMPRESSION, with(signed(EventType.IMPRESSION, CAMPAIGN_1, beacon(7, 3, TS, "abe")), "u", "someone"),
                403, "bad_signature");
        assertRejected(EventType.IMPRESSION, with(signed(EventType.IMPRESSION, CAMPAIGN_1, seen), "u", "user-43"), 403, "bad_signature");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "é", "<script>", "https://evil.example/"})
    void aMalformedUserIsA400(String user) {
        assertRejected(EventType.IMPRESSION, signed(EventType.IMPRESSION, CAMPAIGN_1, with(beacon(7, 3, TS, "abc"), "u", user)), 400, "bad_user");
    }

    @Test
    void aUserLongerThan128CharactersIsA400() {
        assertRejected(EventType.IMPRESSION, signed(EventType.IMPRESSION, CAMPAIGN_1, with(beacon(7, 3, TS, "abc"), "u", "x".repeat(129))),
                400, "bad_user");
        assertThat(accepted(EventType.IMPRESSION, signed(EventType.IMPRESSION, CAMPAIGN_1, with(beacon(7, 3, TS, "abc"), "u", "x".repeat(128))))
                .user()).isNotZero();
    }

    @Test
    void aLegacyKeyAcceptsV1ImpressionsAndSalesAsBefore() {
        Validation impression = validator.validate(EventType.IMPRESSION, signedV1(CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abc")));
        Validation sale = validator.validate(EventType.SALE, signedV1(CAMPAIGN_4_LEGACY, sale(40, 3, "o-1", "2.50", TS)));

        assertThat(impression).isInstanceOfSatisfying(Validation.Accepted.class, a -> {
            assertThat(a.event().suspect()).isFalse();
            assertThat(a.unboundType()).isFalse();
        });
        assertThat(sale).isInstanceOfSatisfying(Validation.Accepted.class, a -> assertThat(a.event().amountMicros()).isEqualTo(2_500_000));
    }

    @Test
    void aLegacyKeysV1ClickIsAcceptedOnlyAsASuspectClickOfUnboundType() {
        Validation v = validator.validate(EventType.CLICK, signedV1(CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abc")));

        assertThat(v).isInstanceOfSatisfying(Validation.Accepted.class, a -> {
            assertThat(a.event().suspect()).isTrue();
            assertThat(a.unboundType()).isTrue();
        });
    }

    @Test
    void aLegacyKeyAlsoAcceptsV2AndStillBindsItsType() {
        Map<String, String> click = signed(EventType.CLICK, CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abc"));

        assertThat(validator.validate(EventType.CLICK, click)).isInstanceOfSatisfying(Validation.Accepted.class, a -> {
            assertThat(a.event().suspect()).isFalse();
            assertThat(a.unboundType()).isFalse();
        });
        assertRejected(EventType.IMPRESSION, click, 403, "bad_signature");
    }

    @Test
    void impressionAndClickOfOneRenderingShareTheIdentityWhateverTheContractVersion() {
        GridEvent impression = accepted(EventType.IMPRESSION, signed(EventType.IMPRESSION, CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abc")));
        GridEvent click = accepted(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abc")));
        GridEvent v1Click = accepted(EventType.CLICK, signedV1(CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abc")));
        GridEvent otherRendering = accepted(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_4_LEGACY, beacon(40, 3, TS, "abd")));

        assertThat(List.of(click.idHi(), click.idLo())).isEqualTo(List.of(impression.idHi(), impression.idLo()));
        assertThat(List.of(v1Click.idHi(), v1Click.idLo())).isEqualTo(List.of(impression.idHi(), impression.idLo()));
        assertThat(List.of(otherRendering.idHi(), otherRendering.idLo())).isNotEqualTo(List.of(impression.idHi(), impression.idLo()));
    }

    // ---- accepted ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = EventType.class, names = {"IMPRESSION", "CLICK"})
    void validBeaconBecomesAnEventOfItsCampaign(EventType type) {
        Map<String, String> params = signed(type, CAMPAIGN_1, beacon(7, 3, TS, "abc"));

        GridEvent e = accepted(type, params);

        assertThat(e.type()).isEqualTo(type);
        assertThat(e.campaignId()).isEqualTo(1);
        assertThat(e.bannerId()).isEqualTo(7);
        assertThat(e.publisherId()).isEqualTo(3);
        assertThat(e.tsMillis()).isEqualTo(TS);
        assertThat(e.orderId()).isNull();
        assertThat(e.amountMicros()).isZero();
    }

    @Test
    void acceptedClickCarriesItsBannerForTheRedirect() {
        Validation v = validator.validate(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_2, beacon(8, 4, TS, "n-1")));

        assertThat(v).isInstanceOfSatisfying(Validation.Accepted.class, a -> {
            assertThat(a.banner()).isEqualTo(BANNER_8);
            assertThat(a.event().campaignId()).isEqualTo(2);
        });
    }

    @Test
    void eventIdentityIsTheFirst128BitsOfTheRenderingsV1Signature() {
        Map<String, String> params = signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"));
        ByteBuffer sig = ByteBuffer.wrap(BeaconSigner.decode(signedV1(CAMPAIGN_1, params).get("sig")));

        GridEvent e = accepted(EventType.IMPRESSION, params);

        assertThat(e.idHi()).isEqualTo(sig.getLong());
        assertThat(e.idLo()).isEqualTo(sig.getLong());
    }

    @Test
    void sameBeaconValidatedTwiceHasTheSameIdentityAndAnotherNonceAnother() {
        Map<String, String> params = signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"));
        GridEvent first = accepted(EventType.IMPRESSION, params);
        GridEvent again = accepted(EventType.IMPRESSION, params);
        GridEvent other = accepted(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, TS, "abd")));

        assertThat(again).isEqualTo(first);
        assertThat(other.idHi() == first.idHi() && other.idLo() == first.idLo()).isFalse();
    }

    @Test
    void signatureSpelledWithNonZeroSpareBitsIsMalformed() {
        // 43 base64url characters carry 258 bits for a 256-bit MAC; only the spelling whose two
        // spare bits are zero is valid, so one MAC has exactly one accepted signature string.
        Map<String, String> params = signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"));
        String sig = params.get("sig");
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(sig.charAt(42));
        for (int spare = 1; spare < 4; spare++) {
            String respelled = sig.substring(0, 42) + alphabet.charAt(last ^ spare);
            Validation v = validator.validate(EventType.IMPRESSION, with(params, "sig", respelled));
            assertThat(v).isInstanceOf(Validation.Rejected.class);
            assertThat(((Validation.Rejected) v).rejection().code()).isEqualTo("bad_sig");
        }
        assertThat(validator.validate(EventType.IMPRESSION, params)).isInstanceOf(Validation.Accepted.class);
    }

    @Test
    void validSaleCarriesOrderAndAmountInMicros() {
        Map<String, String> params = signed(CAMPAIGN_1, sale(7, 3, "order-42", "12.50", TS));

        GridEvent e = accepted(EventType.SALE, params);

        assertThat(e.type()).isEqualTo(EventType.SALE);
        assertThat(e.campaignId()).isEqualTo(1);
        assertThat(e.bannerId()).isEqualTo(7);
        assertThat(e.publisherId()).isEqualTo(3);
        assertThat(e.orderId()).isEqualTo("order-42");
        assertThat(e.amountMicros()).isEqualTo(12_500_000L);
    }

    @ParameterizedTest(name = "amount {0} is {1} micros")
    @CsvSource({
        "12.50, 12500000",
        "12.5, 12500000",
        "7, 7000000",
        "0, 0",
        "0.000001, 1",
        "0.1, 100000",
        "19.99, 19990000",
        "123456.789012, 123456789012",
        "1000000000, 1000000000000000",
        "1000000000.000000, 1000000000000000",
        "000012.50, 12500000"
    })
    void saleAmountIsConvertedToMicrosExactly(String amount, long micros) {
        GridEvent e = accepted(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, "o-1", amount, TS)));

        assertThat(e.amountMicros()).isEqualTo(micros);
    }

    @Test
    void saleMayCarryANonce() {
        Map<String, String> params = sale(7, 3, "o-1", "1.00", TS);
        params.put("n", "render-1");

        assertThat(accepted(EventType.SALE, signed(CAMPAIGN_1, params)).orderId()).isEqualTo("o-1");
    }

    @Test
    void longestNonceAndOrderAreAccepted() {
        assertThat(accepted(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, TS, "n".repeat(64)))).bannerId()).isEqualTo(7);
        assertThat(accepted(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, "o".repeat(128), "1", TS))).orderId()).hasSize(128);
    }

    @Test
    void nonceMayUseEveryAllowedCharacter() {
        String nonce = "AZaz09-_.:";

        assertThat(accepted(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 3, TS, nonce))).bannerId()).isEqualTo(7);
    }

    // ---- signature --------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} changed to {1}")
    @CsvSource({
        "p, 4",
        "b, 8",
        "ts, 1699999995001",
        "n, abd"
    })
    void tamperedParameterIsForbidden(String name, String value) {
        Map<String, String> params = signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"));

        assertRejected(EventType.IMPRESSION, with(params, name, value), 403, "bad_signature");
    }

    @ParameterizedTest(name = "{0} changed to {1}")
    @CsvSource({
        "amount, 125.0",
        "amount, 12.5",
        "order, order-43"
    })
    void tamperedSaleIsForbidden(String name, String value) {
        Map<String, String> params = signed(CAMPAIGN_1, sale(7, 3, "order-42", "12.50", TS));

        assertRejected(EventType.SALE, with(params, name, value), 403, "bad_signature");
    }

    @Test
    void signatureOfAnotherCampaignIsForbidden() {
        // Banner 7 belongs to campaign 1; campaign 2's secret must not sign for it.
        Map<String, String> params = signed(CAMPAIGN_2, beacon(7, 3, TS, "abc"));

        assertRejected(EventType.IMPRESSION, params, 403, "bad_signature");
    }

    @Test
    void signatureWithAnUnknownSecretIsForbidden() {
        assertRejected(EventType.CLICK, signedWith("guessed", beacon(7, 3, TS, "abc")), 403, "bad_signature");
    }

    @Test
    void wellFormedButWrongSignatureIsForbidden() {
        Map<String, String> params = with(beacon(7, 3, TS, "abc"), "sig", "A".repeat(43));

        assertRejected(EventType.IMPRESSION, params, 403, "bad_signature");
    }

    // ---- catalog ----------------------------------------------------------------------------

    @Test
    void unknownBannerIsNotFoundEvenWithAValidSignature() {
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(999, 3, TS, "abc")), 404, "unknown_banner");
    }

    @Test
    void bannerWhoseCampaignIsMissingIsNotFound() {
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(9, 3, TS, "abc")), 404, "unknown_banner");
    }

    @Test
    void unknownPublisherIsNotFoundWithAValidSignature() {
        assertRejected(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_1, beacon(7, 99, TS, "abc")), 404, "unknown_publisher");
    }

    @Test
    void unknownPublisherWithABadSignatureIsForbiddenNotNotFound() {
        // The signature is checked first, so an unsigned probe cannot learn which publishers exist.
        assertRejected(EventType.CLICK, signed(CAMPAIGN_2, beacon(7, 99, TS, "abc")), 403, "bad_signature");
    }

    @Test
    void saleForUnknownPublisherIsNotFound() {
        assertRejected(EventType.SALE, signed(CAMPAIGN_1, sale(7, 99, "o-1", "1", TS)), 404, "unknown_publisher");
    }

    // ---- key ids (kid): rotation --------------------------------------------------------------

    @Test
    void beaconWithoutKidIsCheckedWithKeyZero() {
        assertThat(accepted(EventType.IMPRESSION, signed(CAMPAIGN_1, "0", beacon(7, 3, TS, "abc"))).campaignId()).isEqualTo(1);
        assertThat(accepted(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"))).campaignId()).isEqualTo(1);
    }

    @Test
    void kidPicksWhichOfTheCampaignsKeysChecksTheSignature() {
        assertThat(accepted(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_3, "k2", beacon(10, 3, TS, "abc"))).campaignId()).isEqualTo(3);
        assertThat(accepted(EventType.CLICK, signed(EventType.CLICK, CAMPAIGN_3, "k3", beacon(10, 3, TS, "abc"))).campaignId()).isEqualTo(3);
        assertThat(accepted(EventType.SALE, signed(CAMPAIGN_3, "k3", sale(10, 3, "o-1", "2.50", TS))).amountMicros()).isEqualTo(2_500_000);
    }

    @Test
    void signatureOfOneKeyUnderAnotherKidIsForbidden() {
        Map<String, String> byK3 = signed(CAMPAIGN_3, "k3", beacon(10, 3, TS, "abc"));

        assertRejected(EventType.IMPRESSION, with(byK3, "kid", "k2"), 403, "bad_signature");
    }

    @Test
    void kidIsSignedSoDroppingItFromASignedBeaconBreaksTheSignature() {
        Map<String, String> byK3 = signed(CAMPAIGN_3, "k3", beacon(10, 3, TS, "abc"));
        byK3.remove("kid");

        // Without kid the beacon claims key 0, which is retired: refused either way, never counted.
        assertRejected(EventType.IMPRESSION, byK3, 403, "retired_key");
        Map<String, String> byOne = signed(CAMPAIGN_1, beacon(7, 3, TS, "abc"));
        assertRejected(EventType.IMPRESSION, with(byOne, "kid", "0"), 403, "bad_signature");
    }

    @Test
    void retiredKeyIsForbiddenEvenWithItsOwnValidSignature() {
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_3, "0", beacon(10, 3, TS, "abc")), 403, "retired_key");
        assertRejected(EventType.SALE, signed(CAMPAIGN_3, "0", sale(10, 3, "o-1", "1", TS)), 403, "retired_key");
    }

    @Test
    void keyRetiringLaterStillSignsUntilItsRetirementTime() {
        Map<String, String> byK2 = signed(CAMPAIGN_3, "k2", beacon(10, 3, TS, "abc"));
        BeaconValidator later = new BeaconValidator(TestCatalog.CATALOG,
                java.time.Clock.fixed(java.time.Instant.ofEpochMilli(NOW + 60_000), java.time.ZoneOffset.UTC),
                new ValidationSettings(java.time.Duration.ofMinutes(15), java.time.Duration.ofMinutes(1)));

        assertThat(validator.validate(EventType.IMPRESSION, byK2)).isInstanceOf(Validation.Accepted.class);
        assertThat(rejection(later.validate(EventType.IMPRESSION, byK2)).code()).isEqualTo("retired_key");
    }

    @Test
    void unknownKidIsForbidden() {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.put("kid", "k9");

        assertRejected(EventType.IMPRESSION, signedWith("demo-secret-1", params), 403, "unknown_key");
    }

    @ParameterizedTest(name = "kid=\"{0}\"")
    @ValueSource(strings = {"", "k 2", "k/2", "k\u00e92", "012345678901234567890123456789012"})
    void malformedKidIsABadRequest(String kid) {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.put("kid", kid);

        assertRejected(EventType.IMPRESSION, signedWith("demo-secret-1", params), 400, "bad_kid");
    }

    // ---- ts window (defaults: 15 minutes back, 1 minute ahead) -----------------------------

    @ParameterizedTest(name = "ts = now {0} ms")
    @ValueSource(longs = {-FIFTEEN_MINUTES, -FIFTEEN_MINUTES + 1, 0, ONE_MINUTE - 1, ONE_MINUTE})
    void tsInsideTheWindowIncludingItsEdgesIsAccepted(long offset) {
        GridEvent e = accepted(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, NOW + offset, "abc")));

        assertThat(e.tsMillis()).isEqualTo(NOW + offset);
    }

    @Test
    void tsOneMillisecondOlderThanTheWindowIsRefused() {
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, NOW - FIFTEEN_MINUTES - 1, "abc")),
                422, "ts_too_old");
    }

    @Test
    void tsOneMillisecondFurtherAheadThanTheWindowIsRefused() {
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, NOW + ONE_MINUTE + 1, "abc")),
                422, "ts_in_future");
    }

    @Test
    void saleOutsideTheWindowIsRefusedToo() {
        assertRejected(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, "o-1", "1", NOW - FIFTEEN_MINUTES - 1)), 422, "ts_too_old");
        assertRejected(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, "o-1", "1", NOW + ONE_MINUTE + 1)), 422, "ts_in_future");
    }

    @Test
    void tsZeroIsWellFormedButFarTooOld() {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.put("ts", "0");

        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, params), 422, "ts_too_old");
    }

    @Test
    void windowFollowsTheConfiguredSettings() {
        BeaconValidator narrow = new BeaconValidator(TestCatalog.CATALOG, TestCatalog.CLOCK,
                new ValidationSettings(java.time.Duration.ofSeconds(10), java.time.Duration.ZERO));

        assertThat(narrow.validate(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, NOW - 10_000, "a"))))
                .isInstanceOf(Validation.Accepted.class);
        assertThat(rejection(narrow.validate(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, NOW - 10_001, "a")))).code())
                .isEqualTo("ts_too_old");
        assertThat(rejection(narrow.validate(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, NOW + 1, "a")))).code())
                .isEqualTo("ts_in_future");
    }

    // ---- malformed (400), always with an otherwise valid signature over the bad value -------

    static Stream<Arguments> malformedIds() {
        return Stream.of(
                arguments("b", "abc", "bad_banner_id"),
                arguments("b", "7a", "bad_banner_id"),
                arguments("b", "-7", "bad_banner_id"),
                arguments("b", "0", "bad_banner_id"),
                arguments("b", "+7", "bad_banner_id"),
                arguments("b", " 7", "bad_banner_id"),
                arguments("b", "7.0", "bad_banner_id"),
                arguments("b", "1000000000000000007", "bad_banner_id"),   // 19 digits
                arguments("b", "9223372036854775807", "bad_banner_id"),   // Long.MAX_VALUE
                arguments("b", "", "bad_banner_id"),
                arguments("b", "\u0667", "bad_banner_id"),                // Arabic-Indic digit seven
                arguments("p", "abc", "bad_publisher_id"),
                arguments("p", "-3", "bad_publisher_id"),
                arguments("p", "0", "bad_publisher_id"),
                arguments("p", "+3", "bad_publisher_id"),
                arguments("p", "1000000000000000003", "bad_publisher_id"),
                arguments("p", "", "bad_publisher_id"),
                arguments("ts", "abc", "bad_ts"),
                arguments("ts", "-1699999995000", "bad_ts"),
                arguments("ts", "+1699999995000", "bad_ts"),
                arguments("ts", "1699999995000.0", "bad_ts"),
                arguments("ts", "1.7e12", "bad_ts"),
                arguments("ts", "1699999995000000000", "bad_ts"),        // 19 digits
                arguments("ts", "1699999995000000", "bad_ts"),           // 16 digits
                arguments("ts", "", "bad_ts"));
    }

    @ParameterizedTest(name = "{0}=\"{1}\" -> {2}")
    @MethodSource("malformedIds")
    void malformedNumberIsABadRequest(String name, String value, String code) {
        Map<String, String> params = with(beacon(7, 3, TS, "abc"), name, value);

        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, params), 400, code);
        assertRejected(EventType.CLICK, signed(CAMPAIGN_1, params), 400, code);
    }

    @ParameterizedTest(name = "missing {0} -> {1}")
    @CsvSource({"b, bad_banner_id", "p, bad_publisher_id", "ts, bad_ts", "n, bad_nonce"})
    void missingParameterIsABadRequest(String name, String code) {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.remove(name);

        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, params), 400, code);
    }

    @ParameterizedTest(name = "n=\"{0}\"")
    @ValueSource(strings = {
        "", "a b", "a/b", "a&b", "a=b", "a+b", "a%20b", "<script>", "caf\u00e9", "tab\there", "new\nline",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 65 characters
    })
    void nonceTooLongOrWithBadCharactersIsABadRequest(String nonce) {
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, beacon(7, 3, TS, nonce)), 400, "bad_nonce");
    }

    @Test
    void badNonceOnASaleIsABadRequest() {
        Map<String, String> params = sale(7, 3, "o-1", "1", TS);
        params.put("n", "n".repeat(65));

        assertRejected(EventType.SALE, signed(CAMPAIGN_1, params), 400, "bad_nonce");
    }

    @ParameterizedTest(name = "sig=\"{0}\"")
    @ValueSource(strings = {
        "",
        "short",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",     // 42
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   // 44
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",    // padded
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",    // standard alphabet
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA."
    })
    void malformedSignatureIsABadRequest(String sig) {
        assertRejected(EventType.IMPRESSION, with(beacon(7, 3, TS, "abc"), "sig", sig), 400, "bad_sig");
    }

    @Test
    void missingSignatureIsABadRequest() {
        assertRejected(EventType.CLICK, beacon(7, 3, TS, "abc"), 400, "bad_sig");
    }

    @ParameterizedTest(name = "{0}=\"{1}\"")
    @CsvSource(value = {
        "to|https://evil.example/",
        "url|",
        "url|https://evil.example/",
        "redirect|https://evil.example/",
        "cb|12345",
        "B|7",
        "order|o-1",
        "amount|1.00",
        "type|click"
    }, delimiter = '|')
    void unknownParameterIsABadRequestEvenWhenSigned(String name, String value) {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.put(name, value == null ? "" : value);

        assertRejected(EventType.CLICK, signed(CAMPAIGN_1, params), 400, "unknown_parameter");
        assertRejected(EventType.IMPRESSION, signed(CAMPAIGN_1, params), 400, "unknown_parameter");
    }

    @ParameterizedTest(name = "{0}=\"{1}\"")
    @CsvSource(value = {"u|https://evil.example/", "url|", "type|sale"}, delimiter = '|')
    void unknownParameterOnASaleIsABadRequestEvenWhenSigned(String name, String value) {
        Map<String, String> params = sale(7, 3, "o-1", "1.00", TS);
        params.put(name, value == null ? "" : value);

        assertRejected(EventType.SALE, signed(CAMPAIGN_1, params), 400, "unknown_parameter");
    }

    @Test
    void rejectionReasonNeverEchoesTheClientInput() {
        Map<String, String> params = beacon(7, 3, TS, "abc");
        params.put("u", "https://evil.example/");

        Rejection r = rejection(validator.validate(EventType.CLICK, signed(CAMPAIGN_1, params)));

        assertThat(r.reason()).doesNotContain("evil").doesNotContain("u=");
    }

    // ---- sale amounts and order ---------------------------------------------------------------

    @ParameterizedTest(name = "amount {0} -> {1} {2}")
    @CsvSource({
        "-0.01, 422, negative_amount",
        "-12.50, 422, negative_amount",
        "1.1234567, 422, amount_precision",
        "0.0000001, 422, amount_precision",
        "1000000000.000001, 422, amount_too_large",
        "1000000001, 422, amount_too_large",
        "9999999999999999, 422, amount_too_large",
        // well-formed decimals of any length: the precise 422, not a 400 (found by HostileInputIT)
        "99999999999999999999, 422, amount_too_large",
        "1.0000000000000000000001, 422, amount_precision",
        "12.5000000, 422, amount_precision",
        "-99999999999999999999.5, 422, negative_amount",
        "NaN, 400, bad_amount",
        "Infinity, 400, bad_amount",
        "-Infinity, 400, bad_amount",
        "1e5, 400, bad_amount",
        "1E5, 400, bad_amount",
        "+5, 400, bad_amount",
        "'1,50', 400, bad_amount",
        "' 1', 400, bad_amount",
        ".5, 400, bad_amount",
        "5., 400, bad_amount",
        "0x10, 400, bad_amount",
        "12.50EUR, 400, bad_amount",
        "'', 400, bad_amount"
    })
    void badAmountIsRefused(String amount, int status, String code) {
        assertRejected(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, "o-1", amount, TS)), status, code);
    }

    @Test
    void missingAmountIsABadRequest() {
        Map<String, String> params = sale(7, 3, "o-1", "1", TS);
        params.remove("amount");

        assertRejected(EventType.SALE, signed(CAMPAIGN_1, params), 400, "bad_amount");
    }

    @Test
    void missingOrderIsABadRequest() {
        Map<String, String> params = sale(7, 3, "o-1", "12.50", TS);
        params.remove("order");

        assertRejected(EventType.SALE, signed(CAMPAIGN_1, params), 400, "bad_order");
    }

    @ParameterizedTest(name = "order=\"{0}\"")
    @ValueSource(strings = {"", "order 1", "order/1", "o&1", "\u00f6rder"})
    void badOrderIsABadRequest(String order) {
        assertRejected(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, order, "1", TS)), 400, "bad_order");
    }

    @Test
    void orderLongerThan128CharactersIsABadRequest() {
        assertRejected(EventType.SALE, signed(CAMPAIGN_1, sale(7, 3, "o".repeat(129), "1", TS)), 400, "bad_order");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private GridEvent accepted(EventType type, Map<String, String> params) {
        Validation v = validator.validate(type, params);
        assertThat(v).as("verdict on %s %s", type, params).isInstanceOf(Validation.Accepted.class);
        Validation.Accepted a = (Validation.Accepted) v;
        assertThat(a.banner().id()).isEqualTo(a.event().bannerId());
        if (a.event().bannerId() == 7) {
            assertThat(a.banner()).isEqualTo(BANNER_7);
        }
        return a.event();
    }

    private void assertRejected(EventType type, Map<String, String> params, int status, String code) {
        Rejection r = rejection(validator.validate(type, params));
        assertThat(r.status()).as("status for %s %s (%s)", type, params, r).isEqualTo(status);
        assertThat(r.code()).as("code for %s %s", type, params).isEqualTo(code);
        assertThat(r.reason()).isNotBlank();
    }

    private static Rejection rejection(Validation v) {
        assertThat(v).isInstanceOf(Validation.Rejected.class);
        return ((Validation.Rejected) v).rejection();
    }
}
