package io.adgrid.gatling.budget;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.adgrid.gatling.beacon.Catalog;
import io.adgrid.gatling.beacon.Renderer;
import io.adgrid.gatling.beacon.Signer;
import org.junit.jupiter.api.Test;

class ImpressionBodiesTest {

    @Test
    void eachLineIsAFreshImpressionOfTheCampaignSignedForSlashI() throws Exception {
        Catalog demo = Catalog.demo();
        ImpressionBodies bodies = new ImpressionBodies(new Renderer(demo), 1);
        String body = bodies.next(250);
        String[] lines = body.split("\n");
        assertThat(lines).hasSize(250);
        assertThat(body).endsWith("}\n");
        Set<String> nonces = new HashSet<>();
        Set<Long> banners = new HashSet<>();
        for (String line : lines) {
            JsonNode n = new ObjectMapper().readTree(line);
            assertThat(n.path("type").asText()).isEqualTo("i");
            assertThat(n.path("b").isNumber() && n.path("p").isNumber() && n.path("ts").isNumber()).as(line).isTrue();
            long b = n.path("b").asLong();
            assertThat(demo.campaignOf(b)).isEqualTo(1);
            banners.add(b);
            nonces.add(n.path("n").asText());
            Map<String, String> params = new LinkedHashMap<>();
            for (String f : new String[] {"b", "p", "ts", "n"}) {
                params.put(f, n.path(f).asText());
            }
            assertThat(n.path("sig").asText()).isEqualTo(Signer.sign(demo.keyOf(1), "/i", params));
        }
        assertThat(nonces).hasSize(250);
        assertThat(banners).as("round-robin over the campaign's 100 banners").hasSize(100);
    }
}
