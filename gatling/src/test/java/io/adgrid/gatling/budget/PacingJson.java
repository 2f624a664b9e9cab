package io.adgrid.gatling.budget;

import java.math.BigDecimal;
import java.util.Optional;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A campaign's pacing as the reporting API writes it (docs/API.md, "Budgets and pacing"): from
 * {@code GET /api/v1/campaigns/{id}/pacing}, an entry of {@code GET /api/v1/pacing}, or the data of a
 * stream event. Amounts are decimal strings, read exactly into micros; a field the answer leaves out
 * (e.g. {@code billed} without a total budget) is -1.
 */
public record PacingJson(long campaign, String state, long totalBudgetMicros, long billedMicros, long spendMicros, long overBudget) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static PacingJson of(JsonNode n) {
        return new PacingJson(n.path("campaign").asLong(-1), n.path("state").asText(""), micros(n, "total_budget"),
                micros(n, "billed"), micros(n, "spend"), n.has("over_budget") ? n.get("over_budget").asLong() : -1);
    }

    /** One campaign's pacing answer. */
    public static PacingJson parse(String body) {
        return of(tree(body));
    }

    /** The campaign's entry in {@code GET /api/v1/pacing}, if it has one (only budgeted campaigns do). */
    public static Optional<PacingJson> inList(String body, long campaign) {
        for (JsonNode n : tree(body).path("campaigns")) {
            if (n.path("campaign").asLong(-1) == campaign) {
                return Optional.of(of(n));
            }
        }
        return Optional.empty();
    }

    /**
     * The pacing carried by a stream message as Gatling hands it over ({@code {"event":…,"id":…,"data":…}},
     * the data a JSON string or already a JSON object); empty for anything else.
     */
    public static Optional<PacingJson> ofStreamMessage(String message) {
        try {
            JsonNode data = JSON.readTree(message).path("data");
            if (data.isTextual()) {
                data = JSON.readTree(data.asText());
            }
            return data.isObject() && data.has("campaign") ? Optional.of(of(data)) : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    private static JsonNode tree(String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
    }

    private static long micros(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? -1 : new BigDecimal(v.asText()).movePointRight(6).longValueExact();
    }
}
