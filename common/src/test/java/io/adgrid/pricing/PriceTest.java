package io.adgrid.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PriceTest {

    @Test
    void cpmBillsEachImpressionAThousandthOfThePrice_toTheMicro() {
        Price cpm = new Price(PricingModel.CPM, 2_500_000); // 2.50 per thousand
        assertThat(cpm.spendMicros(1, 0, 0)).isEqualTo(BigInteger.valueOf(2_500)); // 0.0025
        assertThat(cpm.spendMicros(3, 99, 99)).isEqualTo(BigInteger.valueOf(7_500));
        assertThat(new Price(PricingModel.CPM, 1_000).spendMicros(7, 0, 0)).isEqualTo(BigInteger.valueOf(7)); // 0.001 CPM: 1 micro each
    }

    @Test
    void cpcBillsCleanClicksOnly() {
        Price cpc = new Price(PricingModel.CPC, 400_000);
        // the caller passes clean clicks; impressions and conversions cost nothing
        assertThat(cpc.spendMicros(1_000, 3, 5)).isEqualTo(BigInteger.valueOf(1_200_000));
        assertThat(cpc.spendMicros(1_000, 0, 5)).isEqualTo(BigInteger.ZERO);
    }

    @Test
    void cpaBillsConversions() {
        assertThat(new Price(PricingModel.CPA, 5_000_001).spendMicros(10, 10, 2)).isEqualTo(BigInteger.valueOf(10_000_002));
    }

    @Test
    void spendOfSummedCountsIsTheSumOfTheSpends_noRounding() {
        Price cpm = new Price(PricingModel.CPM, 1_234_000); // 1.234 per thousand: 1,234 micros an impression
        BigInteger parts = BigInteger.ZERO;
        long total = 0;
        for (long n = 1; n <= 999; n += 7) {
            parts = parts.add(cpm.spendMicros(n, 0, 0));
            total += n;
        }
        assertThat(parts).isEqualTo(cpm.spendMicros(total, 0, 0));
    }

    @Test
    void theLargestCountsAtTheLargestPriceDoNotOverflow() {
        Price cpa = new Price(PricingModel.CPA, Price.MAX_MICROS);
        assertThat(cpa.spendMicros(0, 0, Long.MAX_VALUE))
                .isEqualTo(BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.valueOf(Price.MAX_MICROS)));
        assertThat(new Price(PricingModel.CPM, Price.MAX_MICROS).spendMicros(Long.MAX_VALUE, 0, 0))
                .isEqualTo(BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.valueOf(Price.MAX_MICROS / 1000)));
    }

    @Test
    void refusesNegativeTooLargeAndSubMicroCpmPrices() {
        assertThat(Price.problem(PricingModel.CPC, -1)).contains("negative");
        assertThat(Price.problem(PricingModel.CPA, Price.MAX_MICROS + 1)).contains("at most");
        assertThat(Price.problem(PricingModel.CPM, 2_500_500)).contains("multiple of 1000");
        assertThat(Price.problem(null, 1)).contains("CPM, CPC or CPA");
        assertThat(Price.problem(PricingModel.CPC, 0)).isNull(); // a free campaign
        assertThat(Price.problem(PricingModel.CPC, 1)).isNull();
        assertThatThrownBy(() -> new Price(PricingModel.CPM, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theBookAnswersThePriceInForceAtAMinute() {
        Instant day1 = Instant.parse("2026-12-01T00:00:00Z");
        Instant day3 = Instant.parse("2026-12-03T00:00:00Z");
        PriceBook book = new PriceBook(List.of(
                new PriceBook.Period(7, day3, new Price(PricingModel.CPC, 2)),
                new PriceBook.Period(7, day1, new Price(PricingModel.CPM, 1000))));
        long m1 = day1.getEpochSecond() / 60;
        long m3 = day3.getEpochSecond() / 60;
        assertThat(book.at(7, m1 - 1)).isNull();
        assertThat(book.at(7, m1)).isEqualTo(new Price(PricingModel.CPM, 1000));
        assertThat(book.at(7, m3 - 1)).isEqualTo(new Price(PricingModel.CPM, 1000));
        assertThat(book.at(7, m3)).isEqualTo(new Price(PricingModel.CPC, 2));
        assertThat(book.at(8, m3)).isNull();
        assertThatThrownBy(() -> new PriceBook.Period(7, Instant.parse("2026-12-01T01:00:00Z"), new Price(PricingModel.CPC, 2)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
