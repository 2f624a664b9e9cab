package io.adgrid.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class BudgetLedgerTest {

    private static final ZoneId NY = ZoneId.of("America/New_York");
    private static final LocalDate D1 = LocalDate.parse("2026-03-10");
    private static final LocalDate D2 = D1.plusDays(1);
    private static final Price CPC = new Price(PricingModel.CPC, 400_000);
    private static final Price CPM = new Price(PricingModel.CPM, 2_500_000);   // 2,500 micros an impression
    private static final Price CPA = new Price(PricingModel.CPA, 5_000_000);

    private static BudgetLedger.Part clicks(LocalDate day, Price price, long clean) {
        return new BudgetLedger.Part(day, 0, price, 1_000, clean, 7);
    }

    @Test
    void aDailyBudgetThatIsAMultipleOfTheClickPriceIsBilledExactlyAndTheRestIsOverBudget() {
        BudgetLedger.Bill bill = BudgetLedger.bill(new Budget(2_000_000L, null, NY), List.of(clicks(D1, CPC, 7)));
        assertThat(bill.day(D1)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(2_800_000), BigInteger.valueOf(2_000_000), 2));
        assertThat(bill.remainingMicros(D1)).isZero();
        assertThat(bill.exhausted(D1, CPC)).isTrue();
    }

    @Test
    void atTheBoundaryNothingIsOverBudgetAndOneEventLessLeavesRoomForOneMore() {
        Budget budget = new Budget(2_000_000L, null, NY);
        BudgetLedger.Bill exact = BudgetLedger.bill(budget, List.of(clicks(D1, CPC, 5)));
        assertThat(exact.day(D1).billedMicros()).isEqualTo(BigInteger.valueOf(2_000_000));
        assertThat(exact.day(D1).overBudget()).isZero();
        assertThat(exact.exhausted(D1, CPC)).isTrue();
        BudgetLedger.Bill under = BudgetLedger.bill(budget, List.of(clicks(D1, CPC, 4)));
        assertThat(under.remainingMicros(D1)).isEqualTo(400_000);
        assertThat(under.exhausted(D1, CPC)).isFalse();
    }

    @Test
    void aBudgetThatIsNotAMultipleBillsWholeEventsOnlyAndIsExhaustedWhenLessThanOneEventIsLeft() {
        BudgetLedger.Bill bill = BudgetLedger.bill(new Budget(1_000_000L, null, NY), List.of(clicks(D1, CPC, 3)));
        // floor(1.00 / 0.40) = 2 clicks billed; the third would overshoot
        assertThat(bill.day(D1)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(1_200_000), BigInteger.valueOf(800_000), 1));
        assertThat(bill.remainingMicros(D1)).isEqualTo(200_000);
        assertThat(bill.exhausted(D1, CPC)).isTrue();
        // two clicks only: 0.20 is left, less than a click, so it is exhausted already
        assertThat(BudgetLedger.bill(new Budget(1_000_000L, null, NY), List.of(clicks(D1, CPC, 2))).exhausted(D1, CPC)).isTrue();
        assertThat(BudgetLedger.bill(new Budget(1_000_000L, null, NY), List.of(clicks(D1, CPC, 1))).exhausted(D1, CPC)).isFalse();
    }

    @Test
    void cpmCapsImpressionsAtTheirWholeMicroCost() {
        // 1.00 buys 400 impressions at 2,500 micros; 1,000 were counted
        BudgetLedger.Bill bill = BudgetLedger.bill(new Budget(1_000_000L, null, NY), List.of(clicks(D1, CPM, 50)));
        assertThat(bill.day(D1)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(2_500_000), BigInteger.valueOf(1_000_000), 600));
        // 1.0012: 400 impressions, 1,200 micros left (less than one impression)
        BudgetLedger.Bill odd = BudgetLedger.bill(new Budget(1_001_200L, null, NY), List.of(clicks(D1, CPM, 0)));
        assertThat(odd.day(D1).billedMicros()).isEqualTo(BigInteger.valueOf(1_000_000));
        assertThat(odd.day(D1).overBudget()).isEqualTo(600);
        assertThat(odd.exhausted(D1, CPM)).isTrue();
    }

    @Test
    void cpaCapsConversionsAndNeverCountsOtherKindsOverBudget() {
        BudgetLedger.Bill bill = BudgetLedger.bill(new Budget(10_000_000L, null, NY), List.of(clicks(D1, CPA, 99)));
        assertThat(bill.day(D1)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(35_000_000), BigInteger.valueOf(10_000_000), 5));
    }

    @Test
    void aDailyBudgetStartsAgainEachDayAndTheTotalCapsTheRunningSumOfTheDays() {
        Budget budget = new Budget(2_000_000L, 3_200_000L, NY);
        BudgetLedger.Bill bill = BudgetLedger.bill(budget, List.of(clicks(D2, CPC, 6), clicks(D1, CPC, 7)));
        assertThat(bill.day(D1)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(2_800_000), BigInteger.valueOf(2_000_000), 2));
        // day 2: 2.00 of daily room, but only 1.20 of the total is left: 3 clicks billed, 3 over
        assertThat(bill.day(D2)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(2_400_000), BigInteger.valueOf(1_200_000), 3));
        assertThat(bill.billedMicros()).isEqualTo(BigInteger.valueOf(3_200_000));
        assertThat(bill.overBudget()).isEqualTo(5);
        assertThat(bill.remainingMicros(D2)).isZero();
        // a new day has daily room again, but the total is spent
        assertThat(bill.remainingMicros(D2.plusDays(1))).isZero();
        assertThat(bill.exhausted(D2.plusDays(1), CPC)).isTrue();
        BudgetLedger.Bill dailyOnly = BudgetLedger.bill(new Budget(2_000_000L, null, NY), List.of(clicks(D1, CPC, 7)));
        assertThat(dailyOnly.exhausted(D2, CPC)).isFalse();
        assertThat(dailyOnly.remainingMicros(D2)).isEqualTo(2_000_000);
    }

    @Test
    void pricePeriodsOfOneDayAreBilledInTheirOrder() {
        // a New York day straddles a UTC midnight: 0.40 a click before it, 1.00 after
        Price later = new Price(PricingModel.CPC, 1_000_000);
        BudgetLedger.Part before = new BudgetLedger.Part(D1, 100, CPC, 0, 3, 0);
        BudgetLedger.Part after = new BudgetLedger.Part(D1, 200, later, 0, 3, 0);
        BudgetLedger.Bill bill = BudgetLedger.bill(new Budget(3_000_000L, null, NY), List.of(after, before));
        // 3 * 0.40 = 1.20 first, then 1 click of 1.00 fits in the 1.80 left (0.80 unused), 2 over
        assertThat(bill.day(D1)).isEqualTo(new BudgetLedger.Day(BigInteger.valueOf(4_200_000), BigInteger.valueOf(2_200_000), 2));
    }

    @Test
    void unpricedAndFreeEventsAreNeverOverBudgetAndAZeroBudgetIsExhausted() {
        Price free = new Price(PricingModel.CPC, 0);
        BudgetLedger.Bill bill = BudgetLedger.bill(new Budget(0L, null, NY),
                List.of(new BudgetLedger.Part(D1, 0, null, 5, 5, 5), new BudgetLedger.Part(D1, 1, free, 5, 5, 5)));
        assertThat(bill.day(D1)).isEqualTo(BudgetLedger.Day.NONE);
        assertThat(bill.exhausted(D1, free)).isTrue();
        assertThat(bill.exhausted(D1, null)).isTrue();
    }

    @Test
    void withoutABudgetEverythingIsBilledEvenBeyondALong() {
        Price dear = new Price(PricingModel.CPC, Price.MAX_MICROS);
        BudgetLedger.Bill bill = BudgetLedger.bill(null, List.of(new BudgetLedger.Part(D1, 0, dear, 0, 1_000_000, 0)));
        BigInteger spend = BigInteger.valueOf(Price.MAX_MICROS).multiply(BigInteger.valueOf(1_000_000));
        assertThat(bill.billedMicros()).isEqualTo(spend);
        assertThat(bill.overBudget()).isZero();
        assertThat(bill.remainingMicros(D1)).isNull();
        assertThat(bill.exhausted(D1, dear)).isFalse();
        // the largest budget with the dearest click: one billed, the rest over, no overflow
        BudgetLedger.Bill capped = BudgetLedger.bill(new Budget(Budget.MAX_MICROS, Budget.MAX_MICROS, NY),
                List.of(new BudgetLedger.Part(D1, 0, dear, 0, 1_000_000, 0)));
        assertThat(capped.billedMicros()).isEqualTo(BigInteger.valueOf(Budget.MAX_MICROS));
        assertThat(capped.overBudget()).isEqualTo(1_000_000 - 1_000);
    }

    @Test
    void badBudgetsAndZonesAreRefusedWithAReason() {
        assertThat(Budget.problem(null, null)).contains("daily_micros or total_micros");
        assertThat(Budget.problem(-1L, null)).contains("negative");
        assertThat(Budget.problem(null, Budget.MAX_MICROS + 1)).contains("at most");
        assertThat(Budget.problem(0L, Budget.MAX_MICROS)).isNull();
        assertThat(Budget.zone("America/New_York")).isEqualTo(NY);
        assertThat(Budget.zone("UTC")).isEqualTo(ZoneId.of("UTC"));
        assertThatThrownBy(() -> Budget.zone("Mars/Olympus")).hasMessageContaining("IANA zone");
        assertThatThrownBy(() -> Budget.zone("+05:00")).hasMessageContaining("not an offset");
        assertThatThrownBy(() -> Budget.zone("UTC+05:00")).hasMessageContaining("not an offset");
        assertThatThrownBy(() -> Budget.zone(null)).hasMessageContaining("required");
    }
}
