package io.adgrid.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.adgrid.app.config.AdGridProperties;
import io.adgrid.app.config.DatabaseConfiguration;
import io.adgrid.app.config.GatewayConfiguration;
import io.adgrid.app.config.GracefulShutdown;
import io.adgrid.app.config.GridConfiguration;
import io.adgrid.app.config.PersistenceConfiguration;
import io.adgrid.app.config.ReportingConfiguration;
import io.adgrid.app.config.SettingsCheck;
import io.adgrid.app.health.HealthConfiguration;
import io.adgrid.app.metrics.MetricsConfiguration;
import io.adgrid.app.journal.JournalCommand;
import io.adgrid.app.sign.SignCommand;
import io.adgrid.app.config.Role;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;

/** Entry point of every {@code ./adgrid} command. */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableConfigurationProperties(AdGridProperties.class)
@Import({StartupReport.class, GracefulShutdown.class})
public class AdGrid {

    static final String USAGE = """
            usage: ./adgrid COMMAND [options]
              run [--demo]        everything in one process: grid node, gateway (8080), persister, reporting (8081);
                                  without ADGRID_DB_URL it starts its own PostgreSQL under ./var
                                  --demo seeds the demo catalog into an empty database
              node                one grid member (data + write-behind); members from ADGRID_MEMBERS
              gateway             the beacon gateway only (joins the grid as a lite member)
              reporting           the reporting API and dashboard only (lite member)
              sign TYPE k=v ...   print a signed beacon URL (TYPE: i|c|s or impression|click|sale)
              sign events --kid K FILE  print the X-AdGrid-Signature header of a POST /events body (a sender key's)
              journal list        the journal directories PostgreSQL knows; journal give-up ID: stop waiting for a lost one
            Settings: --adgrid.gateway.port=9090 style flags or ADGRID_* variables (see README).""";

    public static void main(String[] args) {
        if (args.length == 0 || List.of("help", "-h", "--help").contains(args[0])) {
            System.out.println(USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        String command = args[0];
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        if (command.equals("sign")) {
            // Only the URL goes to stdout (url=$(./adgrid sign ...)): anything a library logs goes to stderr, warnings only.
            PrintStream stdout = System.out;
            System.setOut(System.err);
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
            System.exit(SignCommand.run(rest, stdout, System.err));
        }
        if (command.equals("journal")) {
            System.exit(JournalCommand.run(rest, new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                    java.nio.charset.StandardCharsets.UTF_8)), System.out, System.err));
        }
        Role role = null;
        for (Role r : Role.values()) {
            if (r.command().equals(command)) {
                role = r;
            }
        }
        if (role == null) {
            System.err.println("unknown command '" + command + "'\n" + USAGE);
            System.exit(2);
        }
        List<String> springArgs = new ArrayList<>();
        for (String a : rest) {
            if (a.equals("--demo")) {
                springArgs.add("--adgrid.demo=true");
            } else if (a.startsWith("--") && a.contains("=")) {
                springArgs.add(a);
            } else {
                System.err.println("unknown option '" + a + "' (options look like --demo or --adgrid.gateway.port=9090)\n" + USAGE);
                System.exit(2);
            }
        }
        try {
            start(role, springArgs.toArray(String[]::new));
        } catch (SettingsCheck.InvalidSettingsException e) {
            e.problems().forEach(p -> System.err.println("adgrid: " + p));
            System.exit(2);
        } catch (RuntimeException e) {
            // Spring has logged why and closed what it had started; threads a half-built bean left
            // behind (an event loop of a gateway whose port was taken) must not keep the process alive.
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            System.err.println("adgrid: " + command + " failed to start: " + cause.getMessage());
            System.exit(1);
        }
    }

    /**
     * Starts one role's process; the context closes (gracefully) on Ctrl-C or SIGTERM.
     *
     * @throws SettingsCheck.InvalidSettingsException before anything is started, when a setting is unknown or out of range
     */
    public static ConfigurableApplicationContext start(Role role, String... args) {
        SettingsCheck.check(SettingsCheck.environment(args));
        List<Class<?>> sources = new ArrayList<>(List.of(AdGrid.class, DatabaseConfiguration.class, GridConfiguration.class,
                MetricsConfiguration.class, HealthConfiguration.class));
        if (role.dataMember || role.reporting) {
            sources.add(PersistenceConfiguration.class);
        }
        if (role.gateway) {
            sources.add(GatewayConfiguration.class);
        }
        if (role.reporting) {
            sources.add(ReportingConfiguration.class);
        }
        SpringApplication app = new SpringApplication(sources.toArray(Class<?>[]::new));
        app.setWebApplicationType(role.reporting ? WebApplicationType.SERVLET : WebApplicationType.NONE);
        app.addInitializers(ctx -> ctx.getBeanFactory().registerSingleton("role", role));
        app.setDefaultProperties(Map.of(HealthConfiguration.READINESS_GROUP, String.join(",", role.readiness())));
        return app.run(args);
    }
}
