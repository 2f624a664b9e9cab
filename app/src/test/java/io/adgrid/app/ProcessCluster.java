package io.adgrid.app;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import io.adgrid.app.config.Role;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.persister.testing.TestDatabase;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A cluster of AdGrid processes for a fault test: its own PostgreSQL with the demo catalog,
 * {@code adgrid node} and {@code adgrid gateway} processes started from the jar, reporting in the
 * test JVM and retrying clients. {@link #close} stops whatever the test got to start, clients
 * first, the database last; call it from {@code @AfterEach}.
 */
final class ProcessCluster implements AutoCloseable {

    private final List<AdGridProcess> processes = new ArrayList<>();
    private EmbeddedDatabase database;
    private ConfigurableApplicationContext reporting;
    private RetryingClients clients;

    /** Starts the cluster's PostgreSQL, migrated and holding the demo catalog. */
    EmbeddedDatabase startDatabase() {
        database = TestDatabase.startDemoServer();
        return database;
    }

    EmbeddedDatabase database() {
        return database;
    }

    /** Starts an AdGrid process ({@code node}, {@code gateway}, ...) that {@link #close} stops. */
    AdGridProcess start(String role, List<String> flags) throws IOException {
        return track(AdGridProcess.start(role, flags));
    }

    /** As {@link #start(String, List)}, with options for the JVM (system properties). */
    AdGridProcess start(List<String> jvmArgs, String role, List<String> flags) throws IOException {
        return track(AdGridProcess.start(List.of(), jvmArgs, role, flags));
    }

    /** A process started elsewhere that {@link #close} must stop too. */
    AdGridProcess track(AdGridProcess process) {
        processes.add(process);
        return process;
    }

    /** Reporting in the test JVM (a lite member of the grid), with its HTTP API on a free port. */
    ConfigurableApplicationContext startReporting(List<String> flags) {
        reporting = AdGrid.start(Role.REPORTING, flags.toArray(String[]::new));
        return reporting;
    }

    /** The reporting API started by {@link #startReporting}. */
    String reportingUrl() {
        return "http://127.0.0.1:" + reporting.getEnvironment().getProperty("local.server.port");
    }

    /** The grid as reporting's member sees it. */
    HazelcastInstance view() {
        return reporting.getBean(HazelcastInstance.class);
    }

    /** Starts {@code count} clients sending impressions through {@code gateway}, each retried until it gets a 2xx. */
    RetryingClients startClients(String gateway, int count, String tag) {
        clients = new RetryingClients(gateway, count, tag);
        return clients;
    }

    /** The data members (not lite) {@code view} sees. */
    static long dataMembers(HazelcastInstance view) {
        return view.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count();
    }

    /** Whether every partition's replicas are in place, as {@code view} sees it; false while it cannot tell. */
    static boolean safe(HazelcastInstance view) {
        try {
            return view.getPartitionService().isClusterSafe();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (clients != null) {
            clients.abandon();
        }
        if (reporting != null) {
            reporting.close();
        }
        for (AdGridProcess p : processes) {
            p.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
