package io.adgrid.gatling.beacon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Map;
import io.adgrid.gatling.beacon.Attempt.Shape;
import io.adgrid.gatling.exactness.Ledger;
import io.adgrid.gatling.exactness.Target;
import io.adgrid.gatling.exactness.Totals;
import org.junit.jupiter.api.Test;

class AttemptTest {

    private final Renderer renderer = new Renderer(Catalog.demo());
    private final Ledger ledger = new Ledger();

    private Attempt counted(Event e, boolean shedding) {
        Shape shape = e.type == EventType.SALE ? Shape.FORM : Shape.GET;
        return new Attempt(e, e.type.path, shape, e.params, Expect.count(), ledger,
                e.type == EventType.CLICK ? "https://example.com/landing/" + e.banner : null, shedding).begin();
    }

    private static void answer(Attempt a, int status, String location, String body) {
        a.answered(status);
        a.location(location);
        a.body(body);
        a.verify();
    }

    @Test
    void aReplayedImpressionIsBookedOnce() {
        Event imp = renderer.impression(renderer.view(7));
        answer(counted(imp, false), 200, "", "GIF89a");
        answer(counted(imp, false), 200, "", "GIF89a");
        assertThat(ledger.totals(Target.campaign(7))).isEqualTo(new Totals(1, 0, 0, 0));
        assertThat(ledger.totals(Target.banner(7))).isEqualTo(new Totals(1, 0, 0, 0));
        assertThat(ledger.acceptedEvents()).isEqualTo(1);
    }

    @Test
    void anImpressionAndItsClickAreTwoEvents() {
        View v = renderer.view(17);
        answer(counted(renderer.impression(v), false), 200, "", "");
        answer(counted(renderer.click(v), false), 302, "https://example.com/landing/17", "");
        assertThat(ledger.totals(Target.campaign(7))).isEqualTo(new Totals(1, 1, 0, 0));
    }

    @Test
    void aClickMayCarryItsIdToTheLandingPageButNothingElse() {
        View v = renderer.view(17);
        answer(counted(renderer.click(v), false), 302, "https://example.com/landing/17?agclid=AQAAAAAAAAAHATDc-_x", "");
        Attempt other = counted(renderer.click(renderer.view(17)), false);
        assertThatThrownBy(() -> answer(other, 302, "https://example.com/landing/17?agclid=x&next=https://evil.example/", ""))
                .hasMessageContaining("landing");
    }

    @Test
    void aClickRedirectedElsewhereFailsAndIsAViolation() {
        Attempt a = counted(renderer.click(renderer.view(17)), false);
        assertThatThrownBy(() -> answer(a, 302, "https://evil.example/", "")).hasMessageContaining("landing");
        assertThat(ledger.violations()).singleElement().asString().contains("evil.example");
    }

    @Test
    void aGenuineBeaconRefusedFailsAndIsNotBooked() {
        Attempt a = counted(renderer.impression(renderer.view(3)), false);
        assertThatThrownBy(() -> answer(a, 403, "", "{}")).hasMessageContaining("expected 200, got 403");
        assertThat(ledger.acceptedEvents()).isZero();
    }

    @Test
    void aSaleAnswered202TwiceIsAViolation() {
        Event sale = renderer.sale(5, 1, "o-1", new BigDecimal("12.50"), System.currentTimeMillis());
        answer(counted(sale, false), 202, "", "{\"status\":\"accepted\",\"duplicate\":false}");
        assertThatThrownBy(() -> answer(counted(sale, false), 202, "", "{\"duplicate\":false}")).hasMessageContaining("second 202");
        assertThat(ledger.violationCount()).isEqualTo(1);
        assertThat(ledger.totals(Target.campaign(5))).isEqualTo(new Totals(0, 0, 1, 12_500_000));
    }

    @Test
    void aRetriedSaleMustBeADuplicate() {
        Event sale = renderer.sale(5, 1, "o-2", new BigDecimal("1.00"), System.currentTimeMillis());
        answer(counted(sale, false), 202, "", "{\"duplicate\":false}");
        Attempt retry = new Attempt(sale, "/s", Shape.FORM, sale.params, Expect.retryOf(sale), ledger, null, false).begin();
        answer(retry, 200, "", "{\"status\":\"duplicate\",\"duplicate\":true}");
        Attempt again = new Attempt(sale, "/s", Shape.FORM, sale.params, Expect.retryOf(sale), ledger, null, false).begin();
        assertThatThrownBy(() -> answer(again, 202, "", "{\"duplicate\":false}")).hasMessageContaining("second 202");
        assertThat(ledger.totals(Target.campaign(5)).conversions()).isEqualTo(1);
    }

    @Test
    void aHostileRequestAnsweredWithTheWrongStatusFailsAndA2xxIsAViolation() {
        Attempt wrong = new Attempt(null, "/i", Shape.GET, Map.of("b", "1"), Expect.reject(403), ledger, null, false).begin();
        assertThatThrownBy(() -> answer(wrong, 400, "", "")).hasMessageContaining("expected 403, got 400");
        assertThat(ledger.violationCount()).isZero();
        Attempt accepted = new Attempt(null, "/i", Shape.GET, Map.of("b", "1"), Expect.reject(403), ledger, null, false).begin();
        assertThatThrownBy(() -> answer(accepted, 200, "", "")).isInstanceOf(IllegalStateException.class);
        assertThat(ledger.violationCount()).isEqualTo(1);
        answer(new Attempt(null, "/i", Shape.GET, Map.of(), Expect.reject(422), ledger, null, false).begin(), 422, "", "");
    }

    @Test
    void aShedOrUnansweredEventWaitsForTheSettleStepUntilA2xx() {
        Event shed = renderer.impression(renderer.view(1));
        Attempt a = counted(shed, true);
        answer(a, 503, "", "");
        a.finish();
        Event lost = renderer.impression(renderer.view(2));
        Attempt timedOut = counted(lost, false);
        timedOut.finish(); // no answer at all
        assertThat(ledger.unresolved()).containsExactlyInAnyOrder(shed, lost);
        answer(counted(lost, false), 200, "", "");
        assertThat(ledger.unresolved()).containsExactly(shed);
    }

    @Test
    void a503IsAFailureWhenSheddingIsNotExpected() {
        Attempt a = counted(renderer.impression(renderer.view(1)), false);
        assertThatThrownBy(() -> answer(a, 503, "", "")).hasMessageContaining("got 503");
        a.finish();
        assertThat(ledger.unresolved()).hasSize(1);
    }

    @Test
    void jsonBodiesWriteIdsTsAndAmountAsNumbersAsSigned() {
        Event sale = renderer.sale(5, 9, "o-3", new BigDecimal("12.50"), 1_700_000_000_000L);
        Attempt a = new Attempt(sale, "/s", Shape.JSON, sale.params, Expect.count(), ledger, null, false);
        assertThat(a.jsonBody()).startsWith("{").contains("\"amount\":12.50", "\"b\":5", "\"p\":9", "\"ts\":1700000000000",
                "\"order\":\"o-3\"", "\"sig\":\"" + sale.params.get("sig") + "\"");
        assertThat(a.url()).isEqualTo("/s");
        assertThat(counted(renderer.impression(renderer.view(4)), false).url()).startsWith("/i?b=4&n=").contains("&sig=");
    }
}
