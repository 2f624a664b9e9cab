package io.adgrid.reporting.admin;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import io.adgrid.grid.testing.TestGrid;
import io.adgrid.persister.schema.Database;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.persister.rollup.RollupJob;
import io.adgrid.persister.testing.GridEventFeeder;
import io.adgrid.persister.writebehind.CounterWriter;
import io.adgrid.persister.writebehind.WriteBehind;
import io.adgrid.reporting.web.ApiErrors;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/**
 * The admin endpoints with PostgreSQL down, on the handler (no socket): an operator's flush or
 * rollup gets a 503 with Retry-After in the API's error shape, never a 500, and the counts stay in the grid; so
 * does a flush while partitions are recovered.
 */
class AdminFlushIT {

    private List<HazelcastInstance> members = List.of();
    private HikariDataSource nowhere;

    @AfterEach
    void stop() {
        TestGrid.terminate(members);
        if (nowhere != null) {
            nowhere.close();
        }
    }

    @Test
    void aFlushOrARollupWithPostgresDownIsA503NotA500() throws Exception {
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase()), 1);
        GridEventFeeder feeder = new GridEventFeeder(members.get(0));
        feeder.apply(List.of(feeder.impression(1, 11, 1, Instant.now())));
        MockMvc mvc = adminWithPostgresDown();

        mvc.perform(post("/api/v1/admin/flush")).andExpect(status().isServiceUnavailable())
                .andExpect(header().exists("Retry-After")).andExpect(jsonPath("$.error").value("database_unavailable"));
        mvc.perform(post("/api/v1/admin/rollup")).andExpect(status().isServiceUnavailable())
                .andExpect(header().exists("Retry-After")).andExpect(jsonPath("$.error").value("database_unavailable"));
    }

    /** Counts of partitions being recovered reach PostgreSQL by a replay: a flush cannot say everything accepted is there. */
    @Test
    void aFlushWhilePartitionsAreRecoveredIsA503Recovering() throws Exception {
        members = TestGrid.startMembers(TestGrid.settings(TestGrid.uniqueClusterName(getClass()), TestGrid.freePortBase()), 1);
        // A grid that journals (it has a life) with no partition marked, as while the recovery replays them.
        members.get(0).getMap(io.adgrid.grid.journal.RecoveryGate.MAP).put(io.adgrid.grid.journal.RecoveryGate.LIFE,
                java.util.UUID.randomUUID().toString());
        MockMvc mvc = adminWithPostgresDown();

        mvc.perform(post("/api/v1/admin/flush")).andExpect(status().isServiceUnavailable())
                .andExpect(header().exists("Retry-After")).andExpect(jsonPath("$.error").value("recovering"));
    }

    /** The admin endpoints on the first member, with PostgreSQL at a port nothing listens on: every connection is refused. */
    private MockMvc adminWithPostgresDown() {
        nowhere = Database.pool(new DatabaseSettings("jdbc:postgresql://127.0.0.1:" + TestGrid.freePortBase() + "/adgrid?connectTimeout=1",
                "adgrid", "adgrid"), "nowhere", 1);
        WriteBehind writeBehind = new WriteBehind(members.get(0), new CounterWriter(nowhere), Clock.systemUTC(), 17);
        return MockMvcBuilders.standaloneSetup(new AdminController(writeBehind, new RollupJob(nowhere, RollupJob.Settings.DEFAULT)))
                .setControllerAdvice(new ApiErrors()).build();
    }
}
