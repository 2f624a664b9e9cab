package io.adgrid.reporting.campaigns;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import io.swagger.v3.oas.annotations.Operation;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The campaigns of the catalog, for the campaign report page's picker. Secrets are never read. */
@RestController
@RequestMapping("/api/v1")
public class CampaignsController {

    /** Most campaigns one answer lists. */
    static final int MAX_CAMPAIGNS = 10_000;

    public record CampaignInfo(long id, String name, String currency) {
    }

    public record Campaigns(List<CampaignInfo> campaigns) {
    }

    private final DataSource dataSource;

    public CampaignsController(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Operation(summary = "The catalog's campaigns: id, name and currency, by id")
    @GetMapping("/campaigns")
    public ResponseEntity<?> campaigns() {
        List<CampaignInfo> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, name, currency FROM campaign ORDER BY id LIMIT " + MAX_CAMPAIGNS);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new CampaignInfo(rs.getLong(1), rs.getString(2), rs.getString(3).trim()));
            }
        } catch (SQLException e) {
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "1")
                    .body(Map.of("status", 503, "error", "unavailable", "reason", "a backend is unavailable, retry shortly"));
        }
        return ResponseEntity.ok(new Campaigns(out));
    }
}
