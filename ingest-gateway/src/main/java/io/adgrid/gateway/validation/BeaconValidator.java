package io.adgrid.gateway.validation;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import io.adgrid.attribution.ClickId;
import io.adgrid.catalog.Campaign;
import io.adgrid.catalog.SenderKey;
import io.adgrid.catalog.SigningKey;
import io.adgrid.event.EventType;
import io.adgrid.gateway.catalog.BannerEntry;
import io.adgrid.gateway.catalog.CatalogView;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.reach.Reach;
import io.adgrid.grid.port.MoneyBounds;
import io.adgrid.signing.BeaconSigner;
import io.adgrid.signing.Tokens;
import io.adgrid.signing.CanonicalString;

/**
 * Decides whether a beacon is genuine and countable. Checks run cheapest first, and nothing
 * the client sent is echoed back: malformed (400), unknown banner (404), key id and signature
 * (403), unknown publisher (404), {@code ts} window and amount (422).
 *
 * <p>Signatures follow contract v2: the string signed starts with the type's path ({@code /i?},
 * {@code /c?}, {@code /s?}), so a beacon of one type is refused as another (403). A key marked
 * legacy also accepts the v1 string (no path); a v1 click is then counted only as a suspect click
 * ({@code unbound_type}), since its signature would be the same as its impression's. The event's
 * identity is its rendering's (see {@link BeaconSigner#verify}).
 *
 * <p>The optional {@code kid} parameter names which of the campaign's secrets signed the beacon
 * (it is signed like every parameter); without it the key is {@link Campaign#FIRST_KID}. A retired
 * or unknown key is refused (403). Lookups read the catalog (its hot entries on heap, else the
 * off-heap maps) into a per-thread {@link BannerEntry}, and the campaign's keys are on heap, so a
 * lookup of a hot banner allocates nothing.
 */
public final class BeaconValidator {

    public static final int MAX_NONCE_LENGTH = 64;
    public static final int MAX_ORDER_LENGTH = 128;
    public static final int MAX_KID_LENGTH = 32;
    private static final int MAX_ID_DIGITS = 18;
    private static final int MAX_TS_DIGITS = 15;
    /** Only these may appear: anything else (a redirect target, a cache buster) is refused, not ignored. */
    /** {@code u}: the pseudonymous user the ad server rendered for, signed like the rest; impressions count it in unique reach. */
    private static final Set<String> BEACON_PARAMS = new TreeSet<>(List.of("b", "p", "ts", "n", "kid", "u", "sig"));
    private static final Set<String> SALE_PARAMS = new TreeSet<>(List.of("b", "p", "order", "amount", "ts", "n", "kid", "sig"));
    /** A sale posted by an advertiser's server with the click id its landing page got (issue 21): the click names b and p. */
    private static final Set<String> POSTBACK_PARAMS = new TreeSet<>(List.of("click", "order", "amount", "ts", "n", "kid", "sig"));
    public static final String CLICK_PARAM = "click";
    private static final BigDecimal MAX_AMOUNT = BigDecimal.valueOf(MoneyBounds.MAX_EVENT_MICROS, 6);
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final Rejection BAD_TS = Rejection.malformed("bad_ts", "parameter ts must be epoch milliseconds");
    private static final Rejection BAD_NONCE = Rejection.malformed("bad_nonce", "parameter n must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    private static final Rejection BAD_KID = Rejection.malformed("bad_kid", "parameter kid must be 1-32 characters of A-Z a-z 0-9 . _ : -");
    private static final Rejection BAD_USER = Rejection.malformed("bad_user",
            "parameter u must be 1-" + Reach.MAX_USER_LENGTH + " characters of A-Z a-z 0-9 . _ : -");
    private static final Rejection BAD_SIG = Rejection.malformed("bad_sig", "parameter sig must be 43 characters of base64url");

    private static final ThreadLocal<BannerEntry> BANNER = ThreadLocal.withInitial(BannerEntry::new);

    private final CatalogView catalog;
    private final Clock clock;
    private final ValidationSettings settings;

    private final SignedRequests requests;

    public BeaconValidator(CatalogView catalog, Clock clock, ValidationSettings settings) {
        this.catalog = catalog;
        this.clock = clock;
        this.settings = settings;
        this.requests = new SignedRequests(catalog, clock, settings);
    }

    /** The check of a request-signed {@code POST /events} body's signature, on the same catalog, clock and window. */
    public SignedRequests requests() {
        return requests;
    }

    public Validation validate(EventType type, Map<String, String> params) {
        return validate(type, params, null);
    }

    /**
     * A line of a request-signed {@code POST /events} body (issue 23) when {@code sender} is not null:
     * the request's signature vouches for it, so it carries no {@code sig}; it is checked as a signed
     * beacon is (ids, catalog, the campaign's {@code kid}, {@code ts}, amounts), its banner's campaign must
     * be on the sender key's list (403), and its identity is the one its own signature would have given
     * it ({@link BeaconSigner#identity}), so it is deduplicated with the same rendering sent either way.
     *
     * @param sender the verified sender key of the request, or null for a beacon signed on its own
     */
    public Validation validate(EventType type, Map<String, String> params, SenderKey sender) {
        boolean byClick = type == EventType.SALE && params.containsKey(CLICK_PARAM);
        Set<String> allowed = byClick ? POSTBACK_PARAMS : type == EventType.SALE ? SALE_PARAMS : BEACON_PARAMS;
        for (String name : params.keySet()) {
            if (sender != null && name.equals(CanonicalString.SIGNATURE_PARAM)) {
                return reject(Rejection.SIG_IN_SIGNED_REQUEST);
            }
            if (byClick && (name.equals("b") || name.equals("p"))) {
                return reject(Rejection.malformed("click_with_banner", "a sale by click id gives no b or p: its click says them"));
            }
            if (!allowed.contains(name)) {
                return reject(Rejection.malformed("unknown_parameter", "unknown parameter (allowed: " + String.join(", ", allowed) + ")"));
            }
        }
        if (byClick) {
            return validatePostback(params, sender);
        }
        long banner = positiveId(params.get("b"));
        if (banner < 0) {
            return reject(Rejection.malformed("bad_banner_id", "parameter b must be a positive integer"));
        }
        long publisher = positiveId(params.get("p"));
        if (publisher < 0) {
            return reject(Rejection.malformed("bad_publisher_id", "parameter p must be a positive integer"));
        }
        long ts = Tokens.digits(params.get("ts"), MAX_TS_DIGITS);
        if (ts < 0) {
            return reject(BAD_TS);
        }
        String orderId = null;
        BigDecimal amount = null;
        if (type == EventType.SALE) {
            Rejection malformed = malformedSale(params);
            if (malformed != null) {
                return reject(malformed);
            }
            orderId = params.get("order");
            amount = new BigDecimal(params.get("amount"));
        } else if (!Tokens.isToken(params.get("n"), MAX_NONCE_LENGTH)) {
            return reject(BAD_NONCE);
        }
        String user = params.get("u");
        if (user != null && !Tokens.isToken(user, Reach.MAX_USER_LENGTH)) {
            return reject(BAD_USER);
        }
        String kid = params.getOrDefault("kid", Campaign.FIRST_KID);
        if (!Tokens.isToken(kid, MAX_KID_LENGTH)) {
            return reject(BAD_KID);
        }
        byte[] sig = null;
        if (sender == null) {
            sig = BeaconSigner.decode(params.get(CanonicalString.SIGNATURE_PARAM));
            if (sig == null) {
                return reject(BAD_SIG);
            }
        }

        BannerEntry b = BANNER.get();
        if (!catalog.banner(banner, b)) {
            return reject(Rejection.UNKNOWN_BANNER);
        }
        Campaign campaign = catalog.campaign(b.campaignId());
        if (campaign == null) {
            return reject(Rejection.UNKNOWN_BANNER);
        }
        if (sender != null && !sender.allows(campaign.id())) {
            return reject(Rejection.CAMPAIGN_NOT_ALLOWED);
        }
        SigningKey key = campaign.key(kid);
        long now = clock.millis();
        Rejection refused = keyRefusal(key, now);
        if (refused != null) {
            return reject(refused);
        }
        BeaconSigner.Verified verified = sender == null ? BeaconSigner.verify(key.spec(), type, params, sig, key.legacy())
                : new BeaconSigner.Verified(BeaconSigner.Version.V2, BeaconSigner.identity(key.spec(), type, params));
        if (verified == null) {
            return reject(Rejection.BAD_SIGNATURE);
        }
        if (!catalog.hasPublisher(publisher)) {
            return reject(Rejection.UNKNOWN_PUBLISHER);
        }
        if (ts < now - settings.maxAge().toMillis()) {
            return reject(Rejection.TS_TOO_OLD);
        }
        if (ts > now + settings.maxAhead().toMillis()) {
            return reject(Rejection.TS_IN_FUTURE);
        }
        long amountMicros = 0;
        if (amount != null) {
            Rejection bad = badAmount(amount);
            if (bad != null) {
                return reject(bad);
            }
            amountMicros = amount.movePointRight(6).longValueExact();
        }
        ByteBuffer id = ByteBuffer.wrap(verified.identity());
        GridEvent event = new GridEvent(type, campaign.id(), banner, publisher, ts, id.getLong(), id.getLong(), orderId, amountMicros);
        if (user != null && type == EventType.IMPRESSION) {
            event = event.withUser(Reach.userHash(user));
        }
        boolean unboundType = type == EventType.CLICK && verified.version() == BeaconSigner.Version.V1;
        String clickParam = type == EventType.CLICK ? settings.clickParamOf(campaign) : "";
        String clickId = clickParam.isEmpty() ? null : ClickId.of(key.spec(), campaign.id(), kid, banner, publisher, ts, verified.identity());
        return new Validation.Accepted(unboundType ? event.asSuspect() : event, b.toBanner(banner), unboundType,
                clickId == null ? null : clickParam, clickId);
    }

    /**
     * {@code POST /s click=&order=&amount=&ts=&sig=}: a sale the advertiser's server posts with the id
     * its landing page got, signed (v2) with the campaign's key. It counts for the click's banner and
     * publisher when its {@code ts} falls within the campaign's attribution window (its own, else the
     * deployment's, as the catalog holds it when the postback arrives) after the click's.
     */
    private Validation validatePostback(Map<String, String> params, SenderKey sender) {
        long ts = Tokens.digits(params.get("ts"), MAX_TS_DIGITS);
        if (ts < 0) {
            return reject(BAD_TS);
        }
        Rejection malformed = malformedSale(params);
        if (malformed != null) {
            return reject(malformed);
        }
        String kid = params.getOrDefault("kid", Campaign.FIRST_KID);
        if (!Tokens.isToken(kid, MAX_KID_LENGTH)) {
            return reject(BAD_KID);
        }
        byte[] sig = null;
        if (sender == null) {
            sig = BeaconSigner.decode(params.get(CanonicalString.SIGNATURE_PARAM));
            if (sig == null) {
                return reject(BAD_SIG);
            }
        }
        ClickId.Header header = ClickId.header(params.get(CLICK_PARAM));
        Campaign campaign = header == null ? null : catalog.campaign(header.campaign());
        if (campaign == null) {
            return reject(Rejection.UNKNOWN_CLICK);
        }
        if (sender != null && !sender.allows(campaign.id())) {
            return reject(Rejection.CAMPAIGN_NOT_ALLOWED);
        }
        SigningKey key = campaign.key(kid);
        long now = clock.millis();
        Rejection refused = keyRefusal(key, now);
        if (refused != null) {
            return reject(refused);
        }
        // v2 only: a postback is newer than contract v2, so no sender has a v1 habit to keep
        BeaconSigner.Verified verified = sender == null ? BeaconSigner.verify(key.spec(), EventType.SALE, params, sig, false)
                : new BeaconSigner.Verified(BeaconSigner.Version.V2, BeaconSigner.identity(key.spec(), EventType.SALE, params));
        if (verified == null) {
            return reject(Rejection.BAD_SIGNATURE);
        }
        // The click's own key may have been retired since: its ids stay good for their window.
        ClickId.Click click = ClickId.read(params.get(CLICK_PARAM), (c, k) -> {
            SigningKey sealing = campaign.key(k);
            return sealing == null ? null : sealing.spec();
        });
        BannerEntry b = BANNER.get();
        if (click == null || !catalog.banner(click.banner(), b) || b.campaignId() != campaign.id() || !catalog.hasPublisher(click.publisher())) {
            return reject(Rejection.UNKNOWN_CLICK);
        }
        if (ts < now - settings.maxAge().toMillis()) {
            return reject(Rejection.TS_TOO_OLD);
        }
        if (ts > now + settings.maxAhead().toMillis()) {
            return reject(Rejection.TS_IN_FUTURE);
        }
        // The campaign's window as the catalog holds it now, not when the click was made: the id carries none.
        if (ts < click.ts() || ts - click.ts() > settings.windowOf(campaign).toMillis()) {
            return reject(Rejection.OUTSIDE_WINDOW);
        }
        BigDecimal amount = new BigDecimal(params.get("amount"));
        Rejection bad = badAmount(amount);
        if (bad != null) {
            return reject(bad);
        }
        ByteBuffer id = ByteBuffer.wrap(verified.identity());
        GridEvent event = new GridEvent(EventType.SALE, campaign.id(), click.banner(), click.publisher(), ts, id.getLong(), id.getLong(),
                params.get("order"), amount.movePointRight(6).longValueExact());
        return new Validation.Accepted(event, b.toBanner(click.banner()));
    }

    /** A sale's own fields, well formed (order, amount, an optional n), or why not. */
    private static Rejection malformedSale(Map<String, String> params) {
        if (!Tokens.isToken(params.get("order"), MAX_ORDER_LENGTH)) {
            return Rejection.malformed("bad_order", "parameter order must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
        String amount = params.get("amount");
        // Any plain decimal is well formed; too many digits or decimals is a 422 (badAmount), once signed.
        if (amount == null || !DECIMAL.matcher(amount).matches()) {
            return Rejection.malformed("bad_amount", "parameter amount must be a decimal number like 12.50");
        }
        if (params.containsKey("n") && !Tokens.isToken(params.get("n"), MAX_NONCE_LENGTH)) {
            return BAD_NONCE;
        }
        return null;
    }

    /** Why a campaign's key may not sign now (none by that kid, or retired), or null. */
    private static Rejection keyRefusal(SigningKey key, long now) {
        return key == null ? Rejection.UNKNOWN_KEY : key.isRetiredAt(now) ? Rejection.RETIRED_KEY : null;
    }

    /** A signed sale's amount that cannot be counted, or null. */
    private static Rejection badAmount(BigDecimal amount) {
        if (amount.signum() < 0) {
            return Rejection.NEGATIVE_AMOUNT;
        }
        if (amount.scale() > 6) {
            return Rejection.AMOUNT_PRECISION;
        }
        return amount.compareTo(MAX_AMOUNT) > 0 ? Rejection.AMOUNT_TOO_LARGE : null;
    }

    private static Validation reject(Rejection r) {
        return new Validation.Rejected(r);
    }

    private static long positiveId(String s) {
        long v = Tokens.digits(s, MAX_ID_DIGITS);
        return v > 0 ? v : -1;
    }
}
