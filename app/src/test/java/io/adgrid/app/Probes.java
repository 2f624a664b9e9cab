package io.adgrid.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;

/** What the fault tests ask of a running AdGrid and its PostgreSQL. */
final class Probes {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Probes() {
    }

    /** The HTTP status of a GET, or -1 when nothing answers (a process starting or just killed). */
    static int status(String url) {
        try {
            return HTTP.send(Beacons.request(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** All impressions the reporting API counts ({@code source} live or db), or -1 when it cannot answer. */
    static long impressions(String reporting, String source) {
        try {
            HttpResponse<String> r = HTTP.send(Beacons.request(URI.create(reporting
                    + "/api/v1/stats?from=2000-01-01&to=2100-01-01&source=" + source)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()).get("rows").get(0).get("impressions").asLong() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** {@code POST /api/v1/admin/flush} with the admin token: its HTTP status, or -1 when nothing answers. */
    static int flush(String reporting, String token) {
        try {
            return HTTP.send(Beacons.request(URI.create(reporting + "/api/v1/admin/flush"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** The data members the ops overview lists, or -1 when it cannot answer. */
    static int dataMembers(String reporting) {
        try {
            HttpResponse<String> r = HTTP.send(Beacons.request(URI.create(reporting + "/api/v1/ops/overview")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()).get("cluster").get("members").size() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** All impressions in PostgreSQL's counter table, read with SQL. */
    static long sqlImpressions(DatabaseSettings database) throws Exception {
        try (HikariDataSource ds = Database.pool(database, "test-check", 1);
             Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(impressions), 0) FROM counter_minute")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
