package io.adgrid.reporting.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.grid.port.GridEvent;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.catalog.DemoCatalog;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.schema.ReportingRole;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.testing.TestDatabase;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.reporting.campaigns.CampaignsController;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reporting read role (issue 20): it cannot read the signing secrets or write anything, and
 * every stats query (each granularity, zone, selection and source, top lists, the campaign list)
 * answers through it exactly as through the main user, from minutes, rolled-up hours and days and
 * the grid alike.
 */
class ReportingRoleIT {

    private static final int PORT_BASE = TestPorts.of(9320);
    private static final int WINDOW_MINUTES = 10 * 366 * 24 * 60;
    private static final String PASSWORD = "generated-Reporting_password-0123";

    private static TestDatabase db;
    private static List<HazelcastInstance> members;
    private static HikariDataSource reader;

    @BeforeAll
    static void start() throws SQLException {
        db = TestDatabase.start();
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(ReportingRoleIT.class), PORT_BASE), 1);
        DemoCatalog.seedIfEmpty(db.dataSource());
        ReportingRole.ensure(db.dataSource(), PASSWORD);
        ReportingRole.ensure(db.dataSource(), PASSWORD); // a second start does the same
        reader = Database.pool(new DatabaseSettings(db.settings().url(), ReportingRole.NAME, PASSWORD), "reporting-role-it", 2);
    }

    @AfterAll
    static void stop() {
        if (reader != null) {
            reader.close();
        }
        if (members != null) {
            TestGrid.terminate(members);
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void theReadRoleCannotReadSigningSecretsNorWrite() throws SQLException {
        assertThat(db.sqlLong("SELECT count(*) FROM campaign_secret")).as("secrets the main user reads").isPositive();

        assertThatThrownBy(() -> query("SELECT secret FROM campaign_secret")).isInstanceOf(SQLException.class)
                .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> query("INSERT INTO counter_minute (minute, campaign_id, banner_id, publisher_id) VALUES (now(), 1, 1, 1)"))
                .isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> query("UPDATE flush_watermark SET last_seq = 0")).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> query("CREATE TABLE stolen AS SELECT 1")).isInstanceOf(SQLException.class);
        query("SELECT count(*) FROM counter_quarantine"); // the dashboard's count
    }

    @Test
    void everyStatsQueryAnswersThroughTheReadRoleAsThroughTheMainUser() throws SQLException {
        HazelcastInstance member = members.get(0);
        GridEventFeeder feeder = new GridEventFeeder(member);
        Instant day = Instant.parse("2026-03-10T00:00:00Z");
        db.sql("UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = ?, days_until = ?",
                Timestamp.from(day), Timestamp.from(day));
        List<GridEvent> shown = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            long banner = 1 + i % 30;
            shown.add(feeder.impression(DemoCatalog.campaignOf(banner), banner, 1 + i % 7, day.plus(Duration.ofMinutes(7L * i))));
        }
        feeder.apply(shown);
        feeder.apply(List.of(feeder.sale(3, 3, 2, day.plus(Duration.ofHours(5)), 12_500_000)));
        new WriteBehind(member, new CounterWriter(db.dataSource()), Clock.systemUTC(), WINDOW_MINUTES).flushAll();
        feeder.apply(shown.stream().limit(200).map(feeder::clickOf).toList()); // left in the grid: live only
        RollupJob job = new RollupJob(db.dataSource(), new RollupJob.Settings(Duration.ofDays(3650), Duration.ofDays(3650), Duration.ZERO));
        job.run(Instant.parse("2026-03-12T00:00:00Z"));
        assertThat(db.tableTotals("counter_hour", "true").impressions).as("some hours rolled up").isPositive();

        StatsController asMain = controller(db.dataSource());
        StatsController asReader = controller(reader);
        int queries = 0;
        for (String source : List.of("live", "db")) {
            for (String granularity : List.of("minute", "hour", "day", "total")) {
                for (String tz : List.of("UTC", "Europe/Paris", "Asia/Kolkata")) {
                    for (String[] selection : new String[][] {{null, null, null}, {"3", null, null}, {null, "3", null}, {null, null, "2"}}) {
                        for (String[] range : new String[][] {{"2026-03-10", "2026-03-15"}, {"2026-03-10T01:37:00Z", "2026-03-13T05:11:00Z"}}) {
                            Object main = asMain.stats(selection[0], selection[1], selection[2], range[0], range[1], granularity, tz, source,
                                    null, null).getBody();
                            Object read = asReader.stats(selection[0], selection[1], selection[2], range[0], range[1], granularity, tz,
                                    source, null, null).getBody();
                            assertThat(read).as("%s %s %s", source, granularity, tz).isEqualTo(main);
                            queries++;
                        }
                    }
                }
            }
            for (String dimension : List.of("campaign", "banner", "publisher")) {
                for (String metric : List.of("impressions", "clicks", "conversions", "revenue", "suspect_clicks")) {
                    Object main = asMain.top(dimension, metric, "2026-03-10", "2026-03-15", "10", "UTC", source, null, null).getBody();
                    Object read = asReader.top(dimension, metric, "2026-03-10", "2026-03-15", "10", "UTC", source, null, null).getBody();
                    assertThat(read).as("top %s %s %s", dimension, metric, source).isEqualTo(main);
                    queries++;
                }
            }
        }
        StatsController.StatsAnswer total = (StatsController.StatsAnswer) asReader.stats(null, null, null, "2026-03-10", "2026-03-15",
                "total", "UTC", "live", null, null).getBody();
        assertThat(total.rows().get(0).impressions()).isEqualTo(600);
        assertThat(total.rows().get(0).clicks()).isEqualTo(200);
        assertThat(total.rows().get(0).conversions()).isEqualTo(1);
        CampaignsController.Campaigns campaigns = (CampaignsController.Campaigns) new CampaignsController(reader).campaigns().getBody();
        assertThat(campaigns.campaigns()).hasSize(DemoCatalog.CAMPAIGNS);
        System.out.printf("reporting role: %d stats and top queries answered alike as %s and as the main user%n", queries, ReportingRole.NAME);
    }

    private static StatsController controller(javax.sql.DataSource source) {
        return new StatsController(new StatsService(new StatsRepository(source), new GridCounters(members.get(0))), Clock.systemUTC());
    }

    private static void query(String sql) throws SQLException {
        try (Connection c = reader.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
