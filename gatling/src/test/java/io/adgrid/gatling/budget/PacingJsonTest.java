package io.adgrid.gatling.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PacingJsonTest {

    private static final String EXHAUSTED = "{\"campaign\":1,\"state\":\"exhausted\",\"time_zone\":\"UTC\",\"day\":\"2026-12-07\","
            + "\"total_budget\":\"5.75\",\"spend_today\":\"8.25\",\"billed_today\":\"5.75\",\"over_budget_today\":1000,"
            + "\"spend\":\"8.250000\",\"billed\":\"5.75\",\"over_budget\":1000,\"remaining\":\"0.00\",\"as_of\":\"2026-12-07T12:52:27Z\"}";

    @Test
    void readsAmountsExactlyInMicros() {
        PacingJson p = PacingJson.parse(EXHAUSTED);
        assertThat(p).isEqualTo(new PacingJson(1, "exhausted", 5_750_000, 5_750_000, 8_250_000, 1000));
        assertThat(PacingJson.parse("{\"campaign\":1,\"state\":\"pacing\",\"total_budget\":\"0.0025\"}").totalBudgetMicros()).isEqualTo(2500);
    }

    @Test
    void whatTheAnswerLeavesOutIsMinusOne() {
        PacingJson p = PacingJson.parse("{\"campaign\":5,\"state\":\"pacing\",\"daily_budget\":\"20.00\",\"spend_today\":\"0.00\"}");
        assertThat(p.totalBudgetMicros()).isEqualTo(-1);
        assertThat(p.billedMicros()).isEqualTo(-1);
        assertThat(p.overBudget()).isEqualTo(-1);
    }

    @Test
    void streamMessagesAsGatlingWritesThemWithTheDataInlineOrQuoted() {
        // Gatling's ServerSentEvent.asJsonString puts data that starts with { as is, anything else as a string
        String inline = "{\"event\":\"pacing\",\"id\":\"1796647706236002\",\"data\":" + EXHAUSTED + "}";
        String quoted = "{\"event\":\"pacing\",\"data\":\"" + EXHAUSTED.replace("\"", "\\\"") + "\"}";
        assertThat(PacingJson.ofStreamMessage(inline)).hasValue(PacingJson.parse(EXHAUSTED));
        assertThat(PacingJson.ofStreamMessage(quoted)).hasValue(PacingJson.parse(EXHAUSTED));
        assertThat(PacingJson.ofStreamMessage("{\"event\":\"pacing\",\"data\":\"keep-alive\"}")).isEmpty();
        assertThat(PacingJson.ofStreamMessage("not json")).isEmpty();
    }

    @Test
    void findsTheCampaignInTheMonitorsList() {
        String list = "{\"campaigns\":[{\"campaign\":5,\"state\":\"pacing\"},{\"campaign\":1,\"state\":\"pacing\",\"total_budget\":\"2.50\"}]}";
        assertThat(PacingJson.inList(list, 1).map(PacingJson::totalBudgetMicros)).hasValue(2_500_000L);
        assertThat(PacingJson.inList(list, 2)).isEmpty();
        assertThatThrownBy(() -> PacingJson.inList("<html>", 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
