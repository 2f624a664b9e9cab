package io.adgrid.clientcheck;

import io.adgrid.client.ApiClient;
import io.adgrid.client.ApiException;
import io.adgrid.client.api.AdminApi;
import io.adgrid.client.api.ReportsApi;
import io.adgrid.client.model.CampaignInfo;
import io.adgrid.client.model.StatsAnswer;
import io.adgrid.client.model.StatsRow;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Uses the client generated from AdGrid's OpenAPI description against a running reporting process:
 * a report, the admin flush and a catalog read with the admin token, and the flush refused without it.
 * Exits 1 when any answer is not the one the description promises.
 *
 * <p>Arguments: the reporting base URL (http://localhost:8081) and the admin token file (var/admin.token).
 */
public final class ClientCheck {

    public static void main(String[] args) throws Exception {
        URI base = URI.create(args.length > 0 ? args[0] : "http://localhost:8081");
        String token = Files.readString(Path.of(args.length > 1 ? args[1] : "var/admin.token")).strip();

        ApiClient anonymous = client(base, null);
        ApiClient admin = client(base, token);

        StatsAnswer stats = new ReportsApi(anonymous).getStats(
                ReportsApi.APIGetStatsRequest.newBuilder().campaign(7L).granularity("total").build());
        for (StatsRow row : stats.getRows()) {
            System.out.printf("stats campaign 7: impressions=%d clicks=%d conversions=%d revenue=%s suspect_clicks=%d%n",
                    row.getImpressions(), row.getClicks(), row.getConversions(), row.getRevenue(), row.getSuspectClicks());
        }

        Map<String, Object> flushed = new AdminApi(admin).flush();
        System.out.println("admin flush: " + flushed);

        CampaignInfo campaign = new AdminApi(admin).getCampaign(
                AdminApi.APIGetCampaignRequest.newBuilder().id(7L).build());
        System.out.printf("admin campaign 7: name=%s currency=%s keys=%d%n",
                campaign.getName(), campaign.getCurrency(), campaign.getKeys().size());

        try {
            new AdminApi(anonymous).flush();
            System.out.println("admin flush without the token was answered 2xx: the description's 401 is not kept");
            System.exit(1);
        } catch (ApiException refused) {
            System.out.println("admin flush without the token: " + refused.getCode() + " " + refused.getResponseBody());
            if (refused.getCode() != 401) {
                System.exit(1);
            }
        }
    }

    private static ApiClient client(URI base, String token) {
        ApiClient client = new ApiClient();
        client.updateBaseUri(base.toString());
        if (token != null) {
            client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
        }
        return client;
    }
}
