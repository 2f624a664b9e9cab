package io.adgrid.persister.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import io.adgrid.persister.catalog.CatalogAdmin.Problem;
import io.adgrid.persister.catalog.CatalogAdmin.RefusedException;
import io.adgrid.pricing.Price;
import io.adgrid.pricing.PriceBook;
import io.adgrid.pricing.PricingModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Campaigns' prices over time (schema V11), for the admin API and for reports. A price is in force
 * from a UTC date's midnight until the campaign's next price. Setting a price for a date that has
 * one replaces it; earlier and later prices stay, so what was billed before a change stays billed
 * at the price of its day.
 */
public final class CampaignPrices {

    private static final Logger log = LoggerFactory.getLogger(CampaignPrices.class);
    /** A campaign's first price, without a date, covers all of its history. */
    public static final LocalDate BEGINNING = LocalDate.of(1970, 1, 1);
    private static final LocalDate LAST = LocalDate.of(9999, 12, 31);
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('adgrid.catalog_version'))";
    private static final String SELECT = "SELECT campaign_id, effective_from, model, price_micros FROM campaign_price";

    private final DataSource dataSource;

    public CampaignPrices(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Sets the campaign's price from {@code from} (a UTC date). Without a date: from the beginning
     * when the campaign has no price yet, else from the next UTC day, so spend already reported does
     * not change unless a date says so.
     *
     * @return the campaign's prices, oldest first
     */
    public List<PriceBook.Period> set(long campaignId, PricingModel model, long micros, LocalDate from) {
        if (campaignId <= 0) {
            throw new RefusedException(Problem.INVALID, "campaign id must be a positive integer");
        }
        String problem = Price.problem(model, micros);
        if (problem != null) {
            throw new RefusedException(Problem.INVALID, problem);
        }
        if (from != null && (from.isBefore(BEGINNING) || from.isAfter(LAST))) {
            throw new RefusedException(Problem.INVALID, "from must be a date between " + BEGINNING + " and " + LAST);
        }
        Price price = new Price(model, micros);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(LOCK)) {
                    ps.execute();
                }
                requireCampaign(c, campaignId);
                List<PriceBook.Period> before = schedule(c, campaignId);
                LocalDate day = from != null ? from : before.isEmpty() ? BEGINNING : today(c).plusDays(1);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO campaign_price (campaign_id, effective_from, model, price_micros)"
                        + " VALUES (?, ?, ?, ?) ON CONFLICT (campaign_id, effective_from)"
                        + " DO UPDATE SET model = excluded.model, price_micros = excluded.price_micros, created_at = now()")) {
                    ps.setLong(1, campaignId);
                    ps.setTimestamp(2, Timestamp.from(day.atStartOfDay(ZoneOffset.UTC).toInstant()));
                    ps.setString(3, price.model().name());
                    ps.setLong(4, price.micros());
                    ps.executeUpdate();
                }
                List<PriceBook.Period> after = schedule(c, campaignId);
                c.commit();
                log.info("catalog: campaign {} priced {} {} micros from {}", campaignId, model, micros, day);
                return after;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new CatalogAdmin.UnavailableException("cannot price campaign " + campaignId + " (SQLState " + e.getSQLState() + ")");
        }
    }

    /** The campaign's prices, oldest first (empty: it has none). */
    public List<PriceBook.Period> schedule(long campaignId) {
        try (Connection c = dataSource.getConnection()) {
            return schedule(c, campaignId);
        } catch (SQLException e) {
            throw new CatalogAdmin.UnavailableException("cannot read the prices of campaign " + campaignId + " (SQLState " + e.getSQLState() + ")");
        }
    }

    /** Every campaign's prices, read in the caller's transaction (a report's snapshot). */
    public static PriceBook book(Connection c) throws SQLException {
        List<PriceBook.Period> periods = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                periods.add(period(rs));
            }
        }
        return new PriceBook(periods);
    }

    /** The price in force at {@code at} among a campaign's prices (oldest first), or null. */
    public static PriceBook.Period inForce(List<PriceBook.Period> schedule, Instant at) {
        PriceBook.Period current = null;
        for (PriceBook.Period p : schedule) {
            if (!p.from().isAfter(at)) {
                current = p;
            }
        }
        return current;
    }

    private static List<PriceBook.Period> schedule(Connection c, long campaignId) throws SQLException {
        List<PriceBook.Period> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE campaign_id = ? ORDER BY effective_from")) {
            ps.setLong(1, campaignId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(period(rs));
                }
            }
        }
        return out;
    }

    private static PriceBook.Period period(ResultSet rs) throws SQLException {
        return new PriceBook.Period(rs.getLong(1), rs.getTimestamp(2).toInstant(),
                new Price(PricingModel.valueOf(rs.getString(3)), rs.getLong(4)));
    }

    private static void requireCampaign(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM campaign WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new RefusedException(Problem.NOT_FOUND, "no campaign " + id);
                }
            }
        }
    }

    private static LocalDate today(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT (now() AT TIME ZONE 'UTC')::date"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getObject(1, LocalDate.class);
        }
    }
}
