package io.adgrid.app;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.persister.schema.DatabaseSettings;
import io.adgrid.app.config.Role;
import io.adgrid.grid.testing.TestDirs;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code adgrid run} in the test JVM: one data member on a private cluster and grid port, its own
 * var dir, the demo catalog, free gateway and reporting ports, on the given PostgreSQL.
 */
final class InProcessAdGrid implements AutoCloseable {

    final ConfigurableApplicationContext context;
    /** {@code http://127.0.0.1:PORT} of the beacon port. */
    final String gateway;
    /** {@code http://127.0.0.1:PORT} of the reporting port. */
    final String reporting;

    private InProcessAdGrid(ConfigurableApplicationContext context) {
        this.context = context;
        this.gateway = "http://127.0.0.1:" + context.getBean(GatewayServer.class).port();
        this.reporting = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    /** @param name names the cluster and the var dir; {@code flags} are added (a setting may appear only once) */
    static InProcessAdGrid start(DatabaseSettings database, String name, int gridPort, String... flags) {
        List<String> args = new ArrayList<>(List.of(
                "--adgrid.db.url=" + database.url(),
                "--adgrid.db.user=" + database.user(),
                "--adgrid.db.password=" + database.password(),
                "--adgrid.grid.cluster-name=" + name + "-" + UUID.randomUUID(),
                "--adgrid.grid.port=" + gridPort,
                "--adgrid.members=127.0.0.1:" + gridPort,
                "--adgrid.gateway.port=0",
                "--server.port=0",
                "--adgrid.var-dir=" + tempDir("adgrid-" + name),
                "--adgrid.demo=true"));
        args.addAll(List.of(flags));
        return new InProcessAdGrid(AdGrid.start(Role.RUN, args.toArray(String[]::new)));
    }

    private static String tempDir(String prefix) {
        return TestDirs.temporary(prefix).toString();
    }

    @Override
    public void close() {
        context.close();
    }
}
