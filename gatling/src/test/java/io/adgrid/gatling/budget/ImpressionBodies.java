package io.adgrid.gatling.budget;

import io.adgrid.gatling.beacon.Event;
import io.adgrid.gatling.beacon.Renderer;

/**
 * {@code POST /events} bodies of one campaign's impressions: NDJSON lines {@code {"type":"i","b":…,"p":…,
 * "ts":…,"n":…,"sig":…}}, each a fresh rendering (nonce) signed by the {@link Renderer}, round-robin over
 * the campaign's banners on random publishers, so they spread over many grid entries as real traffic does.
 */
public final class ImpressionBodies {

    private final Renderer renderer;
    private final long[] banners;
    private long next;

    public ImpressionBodies(Renderer renderer, long campaign) {
        this.renderer = renderer;
        this.banners = renderer.catalog().bannersOf(campaign);
        if (banners.length == 0) {
            throw new IllegalArgumentException("campaign " + campaign + " has no banner in the catalog");
        }
    }

    public String next(int lines) {
        StringBuilder sb = new StringBuilder(lines * 160);
        for (int i = 0; i < lines; i++) {
            Event e = renderer.impression(renderer.view(banners[(int) (next++ % banners.length)]));
            // b, p and ts as JSON numbers: the gateway signs them as written, which is how the Signer wrote them
            sb.append("{\"type\":\"i\",\"b\":").append(e.params.get("b"))
                    .append(",\"p\":").append(e.params.get("p"))
                    .append(",\"ts\":").append(e.params.get("ts"))
                    .append(",\"n\":\"").append(e.params.get("n"))
                    .append("\",\"sig\":\"").append(e.params.get("sig")).append("\"}\n");
        }
        return sb.toString();
    }
}
